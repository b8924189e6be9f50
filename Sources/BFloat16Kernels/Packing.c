#include "PanelLayout.h"
#include "BFloat16Kernels.h"

// The float32 -> bfloat16 rounding happens here, once per operand element and K block, so
// the kernels only ever see packed pairs. Written so the compiler vectorises the common
// layouts: a row of A (or a column of transposed B) reads its pairs contiguously.

static inline uint32_t pair_of(float even, float odd) {
    return (uint32_t)qcs_bf16_from_float(even) | (uint32_t)qcs_bf16_from_float(odd) << 16;
}

void qcs_bf16_pack_a(int transpose, const float *a, size_t lda, size_t m, size_t row0,
                     size_t k0, size_t kc, uint32_t *panel) {
    size_t pairs = (kc + 1) / 2;
    for (size_t r = 0; r < QCS_BF16_MR; r++) {
        size_t row = row0 + r;
        if (row >= m) {
            for (size_t p = 0; p < pairs; p++) panel[p * QCS_BF16_MR + r] = 0;
            continue;
        }
        for (size_t p = 0; p < kc / 2; p++) {
            size_t k = k0 + 2 * p;
            float even = transpose ? a[k * lda + row] : a[row * lda + k];
            float odd = transpose ? a[(k + 1) * lda + row] : a[row * lda + k + 1];
            panel[p * QCS_BF16_MR + r] = pair_of(even, odd);
        }
        if (kc & 1) {
            size_t k = k0 + kc - 1;
            float even = transpose ? a[k * lda + row] : a[row * lda + k];
            panel[(pairs - 1) * QCS_BF16_MR + r] = pair_of(even, 0);
        }
    }
}

void qcs_bf16_pack_b(int transpose, const float *b, size_t ldb, size_t n, size_t col0,
                     size_t k0, size_t kc, uint32_t *panel) {
    size_t pairs = (kc + 1) / 2;
    size_t cols = n - col0 < QCS_BF16_NR ? n - col0 : QCS_BF16_NR;
    if (transpose) {
        // B stored [N, K]: column j of op(B) is row j of B, its pairs adjacent in memory.
        for (size_t j = 0; j < cols; j++) {
            const float *src = b + (col0 + j) * ldb + k0;
            for (size_t p = 0; p < kc / 2; p++) panel[p * QCS_BF16_NR + j] = pair_of(src[2 * p], src[2 * p + 1]);
            if (kc & 1) panel[(pairs - 1) * QCS_BF16_NR + j] = pair_of(src[kc - 1], 0);
        }
    } else {
        // B stored [K, N]: rows 2p and 2p + 1 are read side by side and interleaved.
        for (size_t p = 0; p < pairs; p++) {
            const float *even = b + (k0 + 2 * p) * ldb + col0;
            int has_odd = 2 * p + 1 < kc;
            const float *odd = even + ldb;
            uint32_t *dst = panel + p * QCS_BF16_NR;
            for (size_t j = 0; j < cols; j++) dst[j] = pair_of(even[j], has_odd ? odd[j] : 0);
        }
    }
    for (size_t p = 0; p < pairs; p++) {
        for (size_t j = cols; j < QCS_BF16_NR; j++) panel[p * QCS_BF16_NR + j] = 0;
    }
}
