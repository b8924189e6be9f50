#include "PanelLayout.h"
#include <immintrin.h>

// bfloat16 is the top half of a float32: widening a pair is a shift (even) and a mask (odd).
// The tile is done as four 4x16 quarters, each in 8 accumulators, which with the widened
// B vectors and the broadcast A values fit AVX2's 16 registers.
__attribute__((target("avx2,fma")))
void qcs_bf16_tile_avx2(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int accumulate) {
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    for (size_t half = 0; half < 2; half++) {
        for (size_t group = 0; group < 2; group++) {
            __m256 acc[4][2];
            for (int r = 0; r < 4; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
            for (size_t p = 0; p < pairs; p++) {
                const uint32_t *bp = b + p * QCS_BF16_NR + half * 16;
                __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
                __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 8));
                __m256 be0 = _mm256_castsi256_ps(_mm256_slli_epi32(b0, 16));
                __m256 bo0 = _mm256_castsi256_ps(_mm256_and_si256(b0, high));
                __m256 be1 = _mm256_castsi256_ps(_mm256_slli_epi32(b1, 16));
                __m256 bo1 = _mm256_castsi256_ps(_mm256_and_si256(b1, high));
                const uint32_t *ap = a + p * QCS_BF16_MR + group * 4;
                for (int r = 0; r < 4; r++) {
                    __m256i x = _mm256_set1_epi32((int)ap[r]);
                    __m256 ae = _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
                    __m256 ao = _mm256_castsi256_ps(_mm256_and_si256(x, high));
                    acc[r][0] = _mm256_fmadd_ps(ao, bo0, acc[r][0]);
                    acc[r][0] = _mm256_fmadd_ps(ae, be0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(ao, bo1, acc[r][1]);
                    acc[r][1] = _mm256_fmadd_ps(ae, be1, acc[r][1]);
                }
            }
            for (int r = 0; r < 4; r++) {
                float *row = c + (group * 4 + r) * ldc + half * 16;
                if (accumulate) {
                    acc[r][0] = _mm256_add_ps(_mm256_loadu_ps(row), acc[r][0]);
                    acc[r][1] = _mm256_add_ps(_mm256_loadu_ps(row + 8), acc[r][1]);
                }
                _mm256_storeu_ps(row, acc[r][0]);
                _mm256_storeu_ps(row + 8, acc[r][1]);
            }
        }
    }
}
