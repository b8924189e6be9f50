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

static qcs_bf16_tile_kernel tile_kernel(QCSBF16Kernel kernel) {
    switch (kernel) {
    case QCSBF16KernelAVX2: return qcs_bf16_tile_avx2;
    case QCSBF16KernelAVX512BF16: return qcs_bf16_tile_avx512bf16;
    case QCSBF16KernelAVX512Portable: return qcs_bf16_tile_avx512_portable;
    case QCSBF16KernelScalar:
    default: return qcs_bf16_tile_scalar;
    }
}

/// C = alpha·tile + beta·C on the first K block (C not read when beta is 0), C += alpha·tile after.
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
    size_t max_pairs = ((k < QCS_BF16_KC ? k : QCS_BF16_KC) + 1) / 2;
    uint32_t *pa = reserve(&packed_a, QCS_BF16_MC * max_pairs);
    uint32_t *pb = reserve(&packed_b, QCS_BF16_NC * max_pairs);
    if (!pa || !pb) return -1;
    float tile[QCS_BF16_MR * QCS_BF16_NR] __attribute__((aligned(64)));

    for (size_t jc = 0; jc < n; jc += QCS_BF16_NC) {
        size_t nc = n - jc < QCS_BF16_NC ? n - jc : QCS_BF16_NC;
        for (size_t pc = 0; pc < k; pc += QCS_BF16_KC) {
            size_t kc = k - pc < QCS_BF16_KC ? k - pc : QCS_BF16_KC;
            size_t pairs = (kc + 1) / 2;
            for (size_t jr = 0; jr < nc; jr += QCS_BF16_NR) {
                qcs_bf16_pack_b(transpose_b, b, ldb, n, jc + jr, pc, kc, pb + (jr / QCS_BF16_NR) * pairs * QCS_BF16_NR);
            }
            for (size_t ic = 0; ic < m; ic += QCS_BF16_MC) {
                size_t mc = m - ic < QCS_BF16_MC ? m - ic : QCS_BF16_MC;
                for (size_t ir = 0; ir < mc; ir += QCS_BF16_MR) {
                    qcs_bf16_pack_a(transpose_a, a, lda, m, ic + ir, pc, kc, pa + (ir / QCS_BF16_MR) * pairs * QCS_BF16_MR);
                }
                for (size_t jr = 0; jr < nc; jr += QCS_BF16_NR) {
                    size_t cols = nc - jr < QCS_BF16_NR ? nc - jr : QCS_BF16_NR;
                    const uint32_t *panel_b = pb + (jr / QCS_BF16_NR) * pairs * QCS_BF16_NR;
                    for (size_t ir = 0; ir < mc; ir += QCS_BF16_MR) {
                        size_t rows = mc - ir < QCS_BF16_MR ? mc - ir : QCS_BF16_MR;
                        run(pairs, pa + (ir / QCS_BF16_MR) * pairs * QCS_BF16_MR, panel_b, tile);
                        update(c + (ic + ir) * ldc + jc + jr, ldc, tile, rows, cols, alpha, beta, pc == 0);
                    }
                }
            }
        }
    }
    return 0;
}
