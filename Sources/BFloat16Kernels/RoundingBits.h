#ifndef QCS_BF16_ROUNDING_BITS_H
#define QCS_BF16_ROUNDING_BITS_H

#include <stdint.h>
#include <string.h>

// Inline so that the packing loops, which round every operand element, vectorise: a call per
// element cost more than the products it feeds.

/// bfloat16 bits of `x` in the low half: round to nearest, ties to even; NaN stays a quiet NaN.
static inline uint32_t qcs_bf16_bits(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    // A carry into the exponent is the right result (up to infinity past the largest bfloat16).
    uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    uint32_t quiet = (bits >> 16) | 0x0040u;  // NaN: keep sign and top payload, force quiet
    return (bits & 0x7FFFFFFFu) > 0x7F800000u ? quiet : rounded;
}

/// One packed K pair: the even element's bfloat16 in the low half, the odd one's in the high.
static inline uint32_t qcs_bf16_pair(float even, float odd) {
    return qcs_bf16_bits(even) | qcs_bf16_bits(odd) << 16;
}

#endif
