#ifndef QCS_BF16_PANEL_LAYOUT_H
#define QCS_BF16_PANEL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

// The packed operands every kernel reads. K is taken in pairs (2p, 2p+1); one uint32 holds a
// pair's two bfloat16 values, the even one in the low half, as `vdpbf16ps` reads its lanes.
//   A panel: MR rows of one K block, pair-major: a[p * MR + r].
//   B panel: NR columns of one K block, pair-major: b[p * NR + j].
// Rows, columns and the second half of an odd last pair beyond the matrix are zero.
enum {
    QCS_BF16_MR = 8,      // rows of the register tile
    QCS_BF16_NR = 32,     // columns of the register tile: two 16-lane vectors
    QCS_BF16_KC = 256,    // K per block (even): a B panel of 128 pairs x 32 columns is 16 KiB
    QCS_BF16_MC = 64,     // rows of A packed together
    QCS_BF16_NC = 512,    // columns of B packed together: 256 KiB per block, held in L2
    QCS_BF16_MB = 1024,   // rows of A packed per K block and kept across B's column blocks (512 KiB)
};

/// Computes the MR x NR tile of one K block into the row-major `c` (leading dimension `ldc`):
/// written when `accumulate` is 0, added to what `c` holds otherwise. Writing into C itself
/// saves a pass over a scratch tile per K block, which cost a fifth of a product's time.
typedef void (*qcs_bf16_tile_kernel)(size_t pairs, const uint32_t *a, const uint32_t *b,
                                     float *c, size_t ldc, int accumulate);

void qcs_bf16_tile_scalar(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int accumulate);
void qcs_bf16_tile_avx2(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int accumulate);
void qcs_bf16_tile_avx512bf16(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc,
                              int accumulate);
void qcs_bf16_tile_avx512_portable(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc,
                                   int accumulate);

/// Packs rows [row0, row0 + MR) x k [k0, k0 + kc) of a plain A (stored [M, K]) into one A panel.
void qcs_bf16_pack_a(const float *a, size_t lda, size_t m, size_t row0, size_t k0, size_t kc, uint32_t *panel);
/// Packs k [k0, k0 + kc) x columns [col0, col0 + NR) of a transposed B (stored [N, K]) into one B panel.
void qcs_bf16_pack_b(const float *b, size_t ldb, size_t n, size_t col0, size_t k0, size_t kc, uint32_t *panel);
/// Pairs [from, kc/2), and the odd last one, of one K-contiguous line: pair p at panel[p * stride].
void qcs_bf16_pack_line(const float *src, size_t from, size_t kc, uint32_t *panel, size_t stride);

/// All the B panels of columns [col0, col0 + nc) of a plain (not transposed) B, one after the
/// other, swept row by row: one panel at a time would touch 2·kc rows far apart per 32 columns,
/// a page each when B's rows are 4 KiB or longer, and ran 4-7x slower for it.
void qcs_bf16_pack_b_rows(const float *b, size_t ldb, size_t col0, size_t nc, size_t k0, size_t kc, uint32_t *block);
/// All the A panels of rows [row0, row0 + mb) of a transposed A (stored [K, M]), swept likewise.
void qcs_bf16_pack_a_columns(const float *a, size_t lda, size_t row0, size_t mb, size_t k0, size_t kc, uint32_t *block);

/// The same panels, transposed in AVX2 registers (identical words; for CPUs with AVX2).
void qcs_bf16_pack_a_avx2(const float *a, size_t lda, size_t m, size_t row0, size_t k0, size_t kc, uint32_t *panel);
void qcs_bf16_pack_b_avx2(const float *b, size_t ldb, size_t n, size_t col0, size_t k0, size_t kc, uint32_t *panel);

#endif
