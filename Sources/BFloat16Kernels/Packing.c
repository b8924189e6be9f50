#include "PanelLayout.h"
#include "RoundingBits.h"

// The float32 -> bfloat16 rounding happens here, once per operand element and K block, so the
// kernels only ever see packed pairs. An operand comes in one of two layouts. Its lines (rows of
// plain A, columns of transposed B) may run along K in memory: each line's pairs are then built
// in turn and spread down the panel (`pack_lines`). Or K may run down the stored rows (transposed
// A, plain B): a whole block is then swept row pair by row pair (`pack_across_rows`), each panel
// row built at once. Either way the inner loop reads contiguously and the compiler vectorises it.

void qcs_bf16_pack_line(const float *src, size_t from, size_t kc, uint32_t *panel, size_t stride) {
    size_t full = kc / 2;
    for (size_t p = from; p < full; p++) panel[p * stride] = qcs_bf16_pair(src[2 * p], src[2 * p + 1]);
    if (kc & 1) panel[full * stride] = qcs_bf16_pair(src[kc - 1], 0);
}

/// One panel of `width` lanes from the K-contiguous lines [start, start + width) of `x` (those at
/// or past `extent` are zero).
static void pack_lines(const float *x, size_t ld, size_t extent, size_t start, size_t k0, size_t kc,
                       size_t width, uint32_t *panel) {
    size_t pairs = (kc + 1) / 2;
    size_t lines = extent - start < width ? extent - start : width;
    for (size_t q = 0; q < lines; q++) qcs_bf16_pack_line(x + (start + q) * ld + k0, 0, kc, panel + q, width);
    for (size_t p = 0; p < pairs; p++) {
        for (size_t q = lines; q < width; q++) panel[p * width + q] = 0;
    }
}

void qcs_bf16_pack_a(const float *a, size_t lda, size_t m, size_t row0, size_t k0, size_t kc, uint32_t *panel) {
    pack_lines(a, lda, m, row0, k0, kc, QCS_BF16_MR, panel);
}

void qcs_bf16_pack_b(const float *b, size_t ldb, size_t n, size_t col0, size_t k0, size_t kc, uint32_t *panel) {
    pack_lines(b, ldb, n, col0, k0, kc, QCS_BF16_NR, panel);
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
