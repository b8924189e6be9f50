#include "PanelLayout.h"
// SIMDe passes 512-bit vectors between its own inline functions in this file only, so the
// vector ABI clang warns about never crosses a call boundary that another file sees.
#pragma clang diagnostic ignored "-Wpsabi"
#include <simde/x86/avx512.h>

#define QCS_TILE_NAME qcs_bf16_tile_avx512_portable
#define QCS_TILE_ATTRIBUTES
#define F32x16 simde__m512
#define BF16x32 simde__m512bh
#define I32x16 simde__m512i
#define ZERO_F32 simde_mm512_setzero_ps
#define SET1_I32 simde_mm512_set1_epi32
#define DOT_BF16 simde_mm512_dpbf16_ps
#define LOAD_F32 simde_mm512_loadu_ps
#define ADD_F32 simde_mm512_add_ps
#define STORE_F32 simde_mm512_storeu_ps
#include "AVX512BF16TileBody.h"
