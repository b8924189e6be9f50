#include "BFloat16Kernels.h"
#include <string.h>

uint16_t qcs_bf16_from_float(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
        return (uint16_t)((bits >> 16) | 0x0040u);  // NaN: keep sign and top payload, force quiet
    }
    // Round half to even on the 16 bits dropped; a carry into the exponent is the right result
    // (up to infinity for values past the largest bfloat16).
    uint32_t rounded = bits + 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(rounded >> 16);
}

void qcs_bf16_round_floats(const float *x, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)qcs_bf16_from_float(x[i]) << 16;
        memcpy(out + i, &bits, sizeof bits);
    }
}

void qcs_bf16_pack(const float *x, uint16_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = qcs_bf16_from_float(x[i]);
}

void qcs_bf16_pack_shifted(const float *x, float shift, uint16_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = qcs_bf16_from_float(x[i] - shift);
}

void qcs_bf16_widen(const uint16_t *x, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)x[i] << 16;
        memcpy(out + i, &bits, sizeof bits);
    }
}
