#include "BFloat16Kernels.h"
#include "RoundingBits.h"
#include <string.h>

uint16_t qcs_bf16_from_float(float x) { return (uint16_t)qcs_bf16_bits(x); }

void qcs_bf16_round_floats(const float *x, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = qcs_bf16_bits(x[i]) << 16;
        memcpy(out + i, &bits, sizeof bits);
    }
}

void qcs_bf16_pack(const float *x, uint16_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = (uint16_t)qcs_bf16_bits(x[i]);
}

void qcs_bf16_pack_shifted(const float *x, float shift, uint16_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = (uint16_t)qcs_bf16_bits(x[i] - shift);
}

void qcs_bf16_widen(const uint16_t *x, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)x[i] << 16;
        memcpy(out + i, &bits, sizeof bits);
    }
}
