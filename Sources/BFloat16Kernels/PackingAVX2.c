#include "PanelLayout.h"
#include "RoundingBits.h"
#include <immintrin.h>

// The two layouts whose pairs run along a row of the stored matrix while the panel wants them
// down a column (plain A, transposed B) are an 8x8 transpose of pair words: eight rows of eight
// pairs are rounded in registers, transposed and stored as eight panel rows. Without it those
// layouts cost one scalar store per pair, as much time as the products of a 64-row GEMM. The
// edges are the portable packing's (Packing.c).

#define AVX2 __attribute__((target("avx2")))

/// Eight float32 rounded to bfloat16 bits (in the low half of each lane), as `qcs_bf16_bits`.
AVX2 static inline __m256i round8(const float *x) {
    __m256i bits = _mm256_castps_si256(_mm256_loadu_ps(x));
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x0040));
    __m256i magnitude = _mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i nan = _mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7F800000));
    return _mm256_blendv_epi8(rounded, quiet, nan);
}

/// The eight pair words of sixteen consecutive floats (pairs in order).
AVX2 static inline __m256i pairs8(const float *x) {
    // packus interleaves by 128-bit lane: pairs come out as 0 1 4 5 | 2 3 6 7.
    __m256i words = _mm256_packus_epi32(round8(x), round8(x + 8));
    return _mm256_permute4x64_epi64(words, 0xD8);
}

/// Rows r[0..8) become columns.
AVX2 static inline void transpose8(__m256i r[8]) {
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
    }
}

/// Pairs [0, 8·blocks) of eight K-contiguous lines (`lines[q]`) into panel rows of `stride`
/// words starting at `panel` (pair p of line q at panel[p * stride + q]).
AVX2 static void transpose_lines(const float *const lines[8], size_t blocks, uint32_t *panel, size_t stride) {
    for (size_t block = 0; block < blocks; block++) {
        __m256i r[8];
        for (int q = 0; q < 8; q++) r[q] = pairs8(lines[q] + 16 * block);
        transpose8(r);
        for (int p = 0; p < 8; p++) _mm256_storeu_si256((__m256i *)(panel + (8 * block + p) * stride), r[p]);
    }
}

AVX2 void qcs_bf16_pack_a_avx2(const float *a, size_t lda, size_t m, size_t row0, size_t k0, size_t kc,
                               uint32_t *panel) {
    if (m - row0 < QCS_BF16_MR) {
        qcs_bf16_pack_a(a, lda, m, row0, k0, kc, panel);
        return;
    }
    const float *lines[8];
    for (int q = 0; q < 8; q++) lines[q] = a + (row0 + q) * lda + k0;
    size_t blocks = kc / 16;
    transpose_lines(lines, blocks, panel, QCS_BF16_MR);
    for (int q = 0; q < 8; q++) qcs_bf16_pack_line(lines[q], 8 * blocks, kc, panel + q, QCS_BF16_MR);
}

AVX2 void qcs_bf16_pack_b_avx2(const float *b, size_t ldb, size_t n, size_t col0, size_t k0, size_t kc,
                               uint32_t *panel) {
    if (n - col0 < QCS_BF16_NR) {
        qcs_bf16_pack_b(b, ldb, n, col0, k0, kc, panel);
        return;
    }
    size_t blocks = kc / 16;
    for (size_t j0 = 0; j0 < QCS_BF16_NR; j0 += 8) {
        const float *lines[8];
        for (int q = 0; q < 8; q++) lines[q] = b + (col0 + j0 + q) * ldb + k0;
        transpose_lines(lines, blocks, panel + j0, QCS_BF16_NR);
        for (int q = 0; q < 8; q++) qcs_bf16_pack_line(lines[q], 8 * blocks, kc, panel + j0 + q, QCS_BF16_NR);
    }
}
