#include "BFloat16Kernels.h"
#include "PanelLayout.h"
#include <stdlib.h>

// Blocked as BLIS does: a block of NC columns of B and a block of MC rows of A are packed per
// K block, then walked in MR x NR register tiles. Packing buffers are per thread and kept, so
// a product allocates nothing after a thread's first call at that size.

typedef struct {
    uint32_t *data;
    size_t capacity;
} PackBuffer;

static _Thread_local PackBuffer packed_a, packed_b;

static uint32_t *reserve(PackBuffer *buffer, size_t count) {
    if (buffer->capacity >= count) return buffer->data;
    free(buffer->data);
    buffer->data = aligned_alloc(64, (count * sizeof(uint32_t) + 63) / 64 * 64);
    buffer->capacity = buffer->data ? count : 0;
    return buffer->data;
}

/// Packs one panel of a K-contiguous operand (plain A, transposed B).
typedef void (*panel_packer)(const float *x, size_t ld, size_t extent, size_t start, size_t k0, size_t kc,
                             uint32_t *panel);

static qcs_bf16_tile_kernel tile_kernel(QCSBF16Kernel kernel) {
    switch (kernel) {
    case QCSBF16KernelAVX2: return qcs_bf16_tile_avx2;
    case QCSBF16KernelAVX512BF16: return qcs_bf16_tile_avx512bf16;
    case QCSBF16KernelAVX512Portable: return qcs_bf16_tile_avx512_portable;
    case QCSBF16KernelScalar:
    default: return qcs_bf16_tile_scalar;
    }
}

/// C = alpha·tile + beta·C on the first K block (C not read when beta is 0), C += alpha·tile after:
/// the edge tiles and alpha ≠ 1, through a scratch tile.
static void update(float *c, size_t ldc, const float *tile, size_t rows, size_t cols,
                   float alpha, float beta, int first) {
    for (size_t r = 0; r < rows; r++) {
        float *dst = c + r * ldc;
        const float *src = tile + r * QCS_BF16_NR;
        if (!first) {
            for (size_t j = 0; j < cols; j++) dst[j] += alpha * src[j];
        } else if (beta == 0) {
            for (size_t j = 0; j < cols; j++) dst[j] = alpha * src[j];
        } else {
            for (size_t j = 0; j < cols; j++) dst[j] = alpha * src[j] + beta * dst[j];
        }
    }
}

int qcs_bf16_gemm(QCSBF16Kernel kernel, int transpose_a, int transpose_b, size_t m, size_t n, size_t k,
                  float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                  float beta, float *c, size_t ldc) {
    if (m == 0 || n == 0) return 0;
    if (k == 0) {
        for (size_t r = 0; r < m; r++) {
            for (size_t j = 0; j < n; j++) c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j];
        }
        return 0;
    }
    qcs_bf16_tile_kernel run = tile_kernel(kernel);
    // The AVX2 and AVX512_BF16 kernels imply AVX2; the scalar and portable ones run anywhere.
    int avx2 = kernel == QCSBF16KernelAVX2 || kernel == QCSBF16KernelAVX512BF16;
    panel_packer pack_a = avx2 ? qcs_bf16_pack_a_avx2 : qcs_bf16_pack_a;
    panel_packer pack_b = avx2 ? qcs_bf16_pack_b_avx2 : qcs_bf16_pack_b;
    size_t max_pairs = ((k < QCS_BF16_KC ? k : QCS_BF16_KC) + 1) / 2;
    size_t chunk_rows = m < QCS_BF16_MB ? m : QCS_BF16_MB;
    size_t chunk_panels = (chunk_rows + QCS_BF16_MR - 1) / QCS_BF16_MR;
    uint32_t *pa = reserve(&packed_a, chunk_panels * QCS_BF16_MR * max_pairs);
    uint32_t *pb = reserve(&packed_b, QCS_BF16_NC * max_pairs);
    if (!pa || !pb) return -1;
    float tile[QCS_BF16_MR * QCS_BF16_NR] __attribute__((aligned(64)));

    // Full tiles go straight into C with alpha 1: written on the first K block when beta is 0,
    // added otherwise, so any other beta scales C once up front.
    int direct = alpha == 1;
    if (direct && beta != 0 && beta != 1) {
        for (size_t r = 0; r < m; r++) {
            for (size_t j = 0; j < n; j++) c[r * ldc + j] *= beta;
        }
        beta = 1;
    }

    // A chunk of rows of A is packed once per K block and kept while every column block of B
    // passes by, so A is rounded once per K block however wide B is.
    for (size_t i0 = 0; i0 < m; i0 += QCS_BF16_MB) {
        size_t mb = m - i0 < QCS_BF16_MB ? m - i0 : QCS_BF16_MB;
        for (size_t pc = 0; pc < k; pc += QCS_BF16_KC) {
            size_t kc = k - pc < QCS_BF16_KC ? k - pc : QCS_BF16_KC;
            size_t pairs = (kc + 1) / 2;
            int first = pc == 0;
            if (transpose_a) {
                qcs_bf16_pack_a_columns(a, lda, i0, mb, pc, kc, pa);
            } else {
                for (size_t ir = 0; ir < mb; ir += QCS_BF16_MR) {
                    pack_a(a, lda, m, i0 + ir, pc, kc, pa + (ir / QCS_BF16_MR) * pairs * QCS_BF16_MR);
                }
            }
            for (size_t jc = 0; jc < n; jc += QCS_BF16_NC) {
                size_t nc = n - jc < QCS_BF16_NC ? n - jc : QCS_BF16_NC;
                if (transpose_b) {
                    for (size_t jr = 0; jr < nc; jr += QCS_BF16_NR) {
                        pack_b(b, ldb, n, jc + jr, pc, kc, pb + (jr / QCS_BF16_NR) * pairs * QCS_BF16_NR);
                    }
                } else {
                    qcs_bf16_pack_b_rows(b, ldb, jc, nc, pc, kc, pb);
                }
                for (size_t ic = 0; ic < mb; ic += QCS_BF16_MC) {
                    size_t mc = mb - ic < QCS_BF16_MC ? mb - ic : QCS_BF16_MC;
                    for (size_t jr = 0; jr < nc; jr += QCS_BF16_NR) {
                        size_t cols = nc - jr < QCS_BF16_NR ? nc - jr : QCS_BF16_NR;
                        const uint32_t *panel_b = pb + (jr / QCS_BF16_NR) * pairs * QCS_BF16_NR;
                        for (size_t ir = ic; ir < ic + mc; ir += QCS_BF16_MR) {
                            size_t rows = mb - ir < QCS_BF16_MR ? mb - ir : QCS_BF16_MR;
                            const uint32_t *panel_a = pa + (ir / QCS_BF16_MR) * pairs * QCS_BF16_MR;
                            float *dst = c + (i0 + ir) * ldc + jc + jr;
                            if (direct && rows == QCS_BF16_MR && cols == QCS_BF16_NR) {
                                run(pairs, panel_a, panel_b, dst, ldc, !(first && beta == 0));
                            } else {
                                run(pairs, panel_a, panel_b, tile, QCS_BF16_NR, 0);
                                update(dst, ldc, tile, rows, cols, alpha, beta, first);
                            }
                        }
                    }
                }
            }
        }
    }
    return 0;
}
