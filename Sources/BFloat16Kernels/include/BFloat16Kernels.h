#ifndef QCS_BFLOAT16_KERNELS_H
#define QCS_BFLOAT16_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Matrix products with bfloat16 operands and float32 accumulation, on float32 buffers.
///
/// The operands are rounded to bfloat16 (to nearest, ties to even) while they are packed into
/// the kernels' panels; products of two bfloat16 values are exact in float32, so the result is
/// the float32 sum of exact products, taken in one fixed order: for each k-pair (2p, 2p+1) the
/// odd product is added first, as `vdpbf16ps` is documented to do. The scalar and AVX2 kernels
/// agree bit for bit; the AVX512_BF16 unit also flushes subnormals, and a CPU that fuses the two
/// additions differs in the last bits.

/// Which micro-kernel runs the products.
typedef enum {
    /// Plain C: the reference the others are checked against.
    QCSBF16KernelScalar = 0,
    /// AVX2 + FMA: bfloat16 widened to float32 in registers; same rounding, no speed-up.
    QCSBF16KernelAVX2 = 1,
    /// AVX512_BF16 `vdpbf16ps`: two multiply-adds per lane and instruction.
    QCSBF16KernelAVX512BF16 = 2,
    /// The AVX512_BF16 kernel's source compiled against SIMDe's portable intrinsics: checks that
    /// kernel's logic on CPUs without the instructions (slow; tests only).
    QCSBF16KernelAVX512Portable = 3,
} QCSBF16Kernel;

/// Row-major C[M, N] = alpha · op(A) · op(B) + beta · C, op(A) [M, K] (A stored [K, M] when
/// transposed), op(B) [K, N] (B stored [N, K] when transposed), leading dimensions as stored.
/// Single-threaded; callers split the product into blocks of C for several threads.
/// Returns 0, or -1 when the packing buffers could not be allocated (C is then unchanged).
int qcs_bf16_gemm(QCSBF16Kernel kernel, int transpose_a, int transpose_b, size_t m, size_t n, size_t k,
                  float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                  float beta, float *c, size_t ldc);

/// bfloat16 bits of `x`, rounded to nearest, ties to even; NaN stays a (quiet) NaN.
uint16_t qcs_bf16_from_float(float x);

/// `count` floats rounded to bfloat16 and widened back, in place of `out` (which may be `x`).
void qcs_bf16_round_floats(const float *x, float *out, size_t count);

/// `count` floats stored as their bfloat16 bits (rounded as `qcs_bf16_from_float`).
void qcs_bf16_pack(const float *x, uint16_t *out, size_t count);

/// `count` values x − shift stored as bfloat16 bits (the difference taken in float32, then rounded).
void qcs_bf16_pack_shifted(const float *x, float shift, uint16_t *out, size_t count);

/// `count` bfloat16 values widened to float32 (exact).
void qcs_bf16_widen(const uint16_t *x, float *out, size_t count);

#endif
