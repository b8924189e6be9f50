// The AVX512_BF16 tile, included by AVX512BF16Tile.c (the instructions) and by
// AVX512PortableTile.c (SIMDe's portable versions of the same intrinsics), so the logic that
// runs on CPUs with the instructions is also tested on CPUs without them.
// Expects QCS_TILE_NAME, QCS_TILE_ATTRIBUTES and the vector names below to be defined:
// F32x16, BF16x32, I32x16, ZERO_F32, SET1_I32, DOT_BF16, LOAD_F32, ADD_F32, STORE_F32.
#include <string.h>

QCS_TILE_ATTRIBUTES
void QCS_TILE_NAME(size_t pairs, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int accumulate) {
    F32x16 acc[QCS_BF16_MR][2];
    // C's rows are far apart in memory: their loads at the end would each miss the cache.
    if (accumulate) {
        for (int r = 0; r < QCS_BF16_MR; r++) {
            __builtin_prefetch(c + r * ldc);
            __builtin_prefetch(c + r * ldc + 16);
        }
    }
    for (int r = 0; r < QCS_BF16_MR; r++) { acc[r][0] = ZERO_F32(); acc[r][1] = ZERO_F32(); }
    for (size_t p = 0; p < pairs; p++) {
        BF16x32 b0, b1;
        memcpy(&b0, b + p * QCS_BF16_NR, sizeof b0);
        memcpy(&b1, b + p * QCS_BF16_NR + 16, sizeof b1);
        for (int r = 0; r < QCS_BF16_MR; r++) {
            I32x16 x = SET1_I32((int)a[p * QCS_BF16_MR + r]);
            BF16x32 pair;
            memcpy(&pair, &x, sizeof pair);
            acc[r][0] = DOT_BF16(acc[r][0], pair, b0);
            acc[r][1] = DOT_BF16(acc[r][1], pair, b1);
        }
    }
    for (int r = 0; r < QCS_BF16_MR; r++) {
        float *row = c + r * ldc;
        if (accumulate) {
            acc[r][0] = ADD_F32(LOAD_F32(row), acc[r][0]);
            acc[r][1] = ADD_F32(LOAD_F32(row + 16), acc[r][1]);
        }
        STORE_F32(row, acc[r][0]);
        STORE_F32(row + 16, acc[r][1]);
    }
}
