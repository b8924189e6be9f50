#include "PanelLayout.h"
#include "RoundingBits.h"

// The float32 -> bfloat16 rounding happens here, once per operand element and K block, so the
// kernels only ever see packed pairs. Each layout is walked so that the inner loop reads or
// writes contiguously and the compiler vectorises it: where a panel row is contiguous in memory
// (transposed A, plain B) a whole row of pairs is built at once; where a panel column is (plain
// A, transposed B) the pairs of one matrix row are built first and then spread into the panel.

void qcs_bf16_pack_a(int transpose, const float *a, size_t lda, size_t m, size_t row0,
                     size_t k0, size_t kc, uint32_t *panel) {
    size_t pairs = (kc + 1) / 2, full = kc / 2;
    size_t rows = m - row0 < QCS_BF16_MR ? m - row0 : QCS_BF16_MR;
    if (transpose) {
        // A stored [K, M]: rows 2p and 2p + 1 of the storage hold this panel's pair p side by side.
        for (size_t p = 0; p < pairs; p++) {
            const float *even = a + (k0 + 2 * p) * lda + row0;
            const float *odd = even + lda;
            uint32_t *dst = panel + p * QCS_BF16_MR;
            if (p < full) {
                for (size_t r = 0; r < rows; r++) dst[r] = qcs_bf16_pair(even[r], odd[r]);
            } else {
                for (size_t r = 0; r < rows; r++) dst[r] = qcs_bf16_pair(even[r], 0);
            }
            for (size_t r = rows; r < QCS_BF16_MR; r++) dst[r] = 0;
        }
        return;
    }
    for (size_t r = 0; r < QCS_BF16_MR; r++) {
        if (r >= rows) {
            for (size_t p = 0; p < pairs; p++) panel[p * QCS_BF16_MR + r] = 0;
            continue;
        }
        const float *src = a + (row0 + r) * lda + k0;
        for (size_t p = 0; p < full; p++) panel[p * QCS_BF16_MR + r] = qcs_bf16_pair(src[2 * p], src[2 * p + 1]);
        if (kc & 1) panel[full * QCS_BF16_MR + r] = qcs_bf16_pair(src[kc - 1], 0);
    }
}

void qcs_bf16_pack_b(int transpose, const float *b, size_t ldb, size_t n, size_t col0,
                     size_t k0, size_t kc, uint32_t *panel) {
    size_t pairs = (kc + 1) / 2, full = kc / 2;
    size_t cols = n - col0 < QCS_BF16_NR ? n - col0 : QCS_BF16_NR;
    if (transpose) {
        // B stored [N, K]: column j of op(B) is row j of B, its pairs adjacent in memory.
        for (size_t j = 0; j < cols; j++) {
            const float *src = b + (col0 + j) * ldb + k0;
            for (size_t p = 0; p < full; p++) panel[p * QCS_BF16_NR + j] = qcs_bf16_pair(src[2 * p], src[2 * p + 1]);
            if (kc & 1) panel[full * QCS_BF16_NR + j] = qcs_bf16_pair(src[kc - 1], 0);
        }
    } else {
        // B stored [K, N]: rows 2p and 2p + 1 are read side by side and interleaved.
        for (size_t p = 0; p < pairs; p++) {
            const float *even = b + (k0 + 2 * p) * ldb + col0;
            const float *odd = even + ldb;
            uint32_t *dst = panel + p * QCS_BF16_NR;
            if (p < full) {
                for (size_t j = 0; j < cols; j++) dst[j] = qcs_bf16_pair(even[j], odd[j]);
            } else {
                for (size_t j = 0; j < cols; j++) dst[j] = qcs_bf16_pair(even[j], 0);
            }
        }
    }
    for (size_t p = 0; p < pairs; p++) {
        for (size_t j = cols; j < QCS_BF16_NR; j++) panel[p * QCS_BF16_NR + j] = 0;
    }
}

/// The panels of `width` lanes of lines [start, start + extent) of an operand whose lanes run along
/// the stored rows and K down them (plain B, transposed A), swept row by row.
static void pack_across_rows(const float *x, size_t ld, size_t start, size_t extent, size_t k0, size_t kc,
                             size_t width, uint32_t *block) {
    size_t pairs = (kc + 1) / 2, full = kc / 2, panel = pairs * width;
    for (size_t p = 0; p < pairs; p++) {
        const float *even = x + (k0 + 2 * p) * ld + start;
        const float *odd = even + ld;
        for (size_t j0 = 0; j0 < extent; j0 += width) {
            size_t lanes = extent - j0 < width ? extent - j0 : width;
            uint32_t *dst = block + (j0 / width) * panel + p * width;
            if (p < full) {
                for (size_t j = 0; j < lanes; j++) dst[j] = qcs_bf16_pair(even[j0 + j], odd[j0 + j]);
            } else {
                for (size_t j = 0; j < lanes; j++) dst[j] = qcs_bf16_pair(even[j0 + j], 0);
            }
            for (size_t j = lanes; j < width; j++) dst[j] = 0;
        }
    }
}

void qcs_bf16_pack_b_rows(const float *b, size_t ldb, size_t col0, size_t nc, size_t k0, size_t kc, uint32_t *block) {
    pack_across_rows(b, ldb, col0, nc, k0, kc, QCS_BF16_NR, block);
}

void qcs_bf16_pack_a_columns(const float *a, size_t lda, size_t row0, size_t mb, size_t k0, size_t kc, uint32_t *block) {
    pack_across_rows(a, lda, row0, mb, k0, kc, QCS_BF16_MR, block);
}
