/// Bit-level conversions between float32 and the two 16-bit float formats safetensors files
/// carry. Written out by hand rather than using `Float16`, which is missing on Intel macOS;
/// float32 → 16-bit rounds to nearest, ties to even, as PyTorch's `.half()` and `.bfloat16()` do.
public enum HalfPrecision {
    // MARK: - IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits

    /// The float32 value of binary16 bits `h` (exact: every binary16 is a float32), the same bits
    /// as `referenceFloat(fromHalf:)` by rebiasing the exponent in place.
    @inline(__always)
    public static func float(fromHalf h: UInt16) -> Float {
        let magnitude = UInt32(h & 0x7FFF) << 13, sign = UInt32(h & 0x8000) << 16
        let exponent = magnitude & 0x0F80_0000
        let f: Float
        if exponent == 0x0F80_0000 {
            f = Float(bitPattern: magnitude | 0x7F80_0000)  // infinity or NaN, payload kept
        } else if exponent == 0 {
            // Zero or subnormal m·2⁻²⁴: read as (1 + m/1024)·2⁻¹⁴, then take 2⁻¹⁴ away (exact).
            f = Float(bitPattern: magnitude &+ 0x3880_0000) - Float(bitPattern: 0x3880_0000)
        } else {
            f = Float(bitPattern: magnitude &+ 0x3800_0000)
        }
        return Float(bitPattern: f.bitPattern | sign)
    }

    /// The plain conversion `float(fromHalf:)` is checked against.
    public static func referenceFloat(fromHalf h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2⁻²⁴, exact in float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            // Infinity or NaN; the NaN payload moves to the top of the float32 mantissa.
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    /// `f` rounded to binary16 (overflow gives infinity, underflow signed zero, NaN a quiet NaN),
    /// the same bits as `referenceHalf(from:)` with few branches (rounding done by float32
    /// arithmetic, after F. Giesen's float_to_half_fast3): the gradient exchange converts hundreds
    /// of millions of values per step.
    @inline(__always)
    public static func half(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x4780_0000 {
            // 65536 and beyond rounds to infinity; NaN stays NaN, with its top payload bits and the quiet bit.
            return magnitude > 0x7F80_0000 ? sign | 0x7E00 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x3FF) : sign | 0x7C00
        }
        if magnitude < 0x3880_0000 {
            // Below 2⁻¹⁴: a subnormal or zero. Adding 0.5 (2⁻¹ = 2⁻²⁴ · 2²³) makes the FPU round
            // the value to a multiple of 2⁻²⁴ (nearest, ties to even), left in the low mantissa bits.
            let sum = Float(bitPattern: magnitude) + Float(bitPattern: 0x3F00_0000)
            return sign | UInt16(truncatingIfNeeded: sum.bitPattern &- 0x3F00_0000)
        }
        // Normal: rebias the exponent, add the rounding bias (ties to even), keep the top bits.
        let odd = (magnitude >> 13) & 1
        return sign | UInt16(truncatingIfNeeded: (magnitude &- 0x3800_0000 &+ 0xFFF &+ odd) >> 13)
    }

    /// The plain conversion `half(from:)` is checked against.
    public static func referenceHalf(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int(bits >> 23) & 0xFF
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            // Keep NaNs NaN (set the quiet bit so a payload in the dropped bits cannot vanish).
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(mantissa >> 13)
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            // Subnormal result: value · 2²⁴ with the implicit bit made explicit. Below 2⁻²⁵ it rounds to zero.
            if e < -10 { return sign }
            return sign | UInt16(roundShift(mantissa | 0x80_0000, by: UInt32(14 - e)))
        }
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        return sign | UInt16(roundShift(UInt32(e) << 23 | mantissa, by: 13))
    }

    /// `value >> shift`, rounded to nearest with ties to even.
    @inline(__always)
    static func roundShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let kept = value >> shift
        let dropped = value & ((1 << shift) - 1)
        let halfway: UInt32 = 1 << (shift - 1)
        return dropped > halfway || (dropped == halfway && kept & 1 == 1) ? kept + 1 : kept
    }

    // MARK: - bfloat16: the top 16 bits of a float32

    /// The float32 value of bfloat16 bits `b` (exact).
    public static func float(fromBFloat16 b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// `f` rounded to bfloat16.
    public static func bfloat16(from f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }
}
