#include "PanelLayout.h"
#include <math.h>
#include <string.h>

static inline float odd_half(uint32_t pair) {
    uint32_t bits = pair & 0xFFFF0000u;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline float even_half(uint32_t pair) {
    uint32_t bits = pair << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void qcs_bf16_tile_scalar(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int accumulate) {
    for (size_t r = 0; r < QCS_BF16_MR; r++) {
        for (size_t j = 0; j < QCS_BF16_NR; j++) {
            float acc = 0;
            for (size_t p = 0; p < pairs; p++) {
                uint32_t x = a[p * QCS_BF16_MR + r], y = b[p * QCS_BF16_NR + j];
                // Each product of two bfloat16 values is exact in float32: fmaf only rounds the sum.
                acc = fmaf(odd_half(x), odd_half(y), acc);
                acc = fmaf(even_half(x), even_half(y), acc);
            }
            float *dst = c + r * ldc + j;
            *dst = accumulate ? *dst + acc : acc;
        }
    }
}
