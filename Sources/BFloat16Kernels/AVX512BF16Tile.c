#include "PanelLayout.h"
#include <immintrin.h>

// Called only after the CPU is known to have AVX512_BF16 (the Swift side checks /proc/cpuinfo).
#define QCS_TILE_NAME qcs_bf16_tile_avx512bf16
#define QCS_TILE_ATTRIBUTES __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define F32x16 __m512
#define BF16x32 __m512bh
#define I32x16 __m512i
#define ZERO_F32 _mm512_setzero_ps
#define SET1_I32 _mm512_set1_epi32
#define DOT_BF16 _mm512_dpbf16_ps
#define LOAD_F32 _mm512_loadu_ps
#define ADD_F32 _mm512_add_ps
#define STORE_F32 _mm512_storeu_ps
#include "AVX512BF16TileBody.h"
