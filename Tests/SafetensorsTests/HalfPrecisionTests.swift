import XCTest
@testable import Safetensors
import Autograd

final class HalfPrecisionTests: XCTestCase {
    func testHalf_knownValues() {
        let cases: [(UInt16, Float)] = [
            (0x0000, 0), (0x8000, -0.0), (0x3C00, 1), (0xC100, -2.5), (0x7BFF, 65504),
            (0x0400, 0x1p-14), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in cases {
            XCTAssertEqual(HalfPrecision.float(fromHalf: bits).bitPattern, value.bitPattern, "0x\(String(bits, radix: 16))")
            XCTAssertEqual(HalfPrecision.half(from: value), bits, "\(value)")
        }
        XCTAssertTrue(HalfPrecision.float(fromHalf: 0x7E00).isNaN)
        XCTAssertEqual(HalfPrecision.half(from: .nan) & 0x7E00, 0x7E00)
    }

    func testHalfToFloat_fastConversionGivesTheReferenceBitsForEveryHalf() {
        for h in UInt16.min...UInt16.max {
            XCTAssertEqual(HalfPrecision.float(fromHalf: h).bitPattern, HalfPrecision.referenceFloat(fromHalf: h).bitPattern,
                           "0x\(String(h, radix: 16))")
        }
    }

    func testHalf_fastConversionGivesTheReferenceBits() {
        // Every exponent with random mantissas and both signs, plus the boundaries of each range.
        var rng = SeededRNG(seed: 16)
        var patterns: [UInt32] = [0x3880_0000, 0x387F_FFFF, 0x4780_0000, 0x477F_FFFF, 0x477F_E000, 0x477F_EFFF,
                                  0x7F80_0000, 0x7F80_0001, 0x7FC0_0000, 0x7FFF_FFFF, 0x3300_0000, 0x3300_0001, 0x32FF_FFFF]
        for exponent in UInt32(0)...255 {
            for _ in 0..<4000 { patterns.append(exponent << 23 | UInt32(truncatingIfNeeded: rng.next()) & 0x7F_FFFF) }
            // Values at and next to the rounding midpoints of the 13 dropped bits.
            for low: UInt32 in [0x0FFF, 0x1000, 0x1001, 0x2FFF, 0x3000, 0x3001] { patterns.append(exponent << 23 | low) }
        }
        for p in patterns {
            for bits in [p, p | 0x8000_0000] {
                let f = Float(bitPattern: bits)
                XCTAssertEqual(HalfPrecision.half(from: f), HalfPrecision.referenceHalf(from: f),
                               "0x\(String(bits, radix: 16))")
            }
        }
    }

    func testHalf_roundsToNearestEven() {
        // Between 1 and 1 + 2⁻¹⁰: the midpoint goes to the even mantissa, anything above it up.
        XCTAssertEqual(HalfPrecision.half(from: 1 + 0x1p-11), 0x3C00)
        XCTAssertEqual(HalfPrecision.half(from: 1 + 3 * 0x1p-11), 0x3C02)
        XCTAssertEqual(HalfPrecision.half(from: 1 + 0x1p-11 + 0x1p-20), 0x3C01)
        XCTAssertEqual(HalfPrecision.half(from: 65519), 0x7BFF, "below the overflow midpoint")
        XCTAssertEqual(HalfPrecision.half(from: 65520), 0x7C00, "the overflow midpoint rounds to infinity")
        XCTAssertEqual(HalfPrecision.half(from: 0x1p-25), 0x0000, "tie between 0 and the smallest subnormal")
        XCTAssertEqual(HalfPrecision.half(from: 0x1p-25 + 0x1p-35), 0x0001)
        XCTAssertEqual(HalfPrecision.half(from: -0x1p-30), 0x8000, "underflow keeps the sign")
        XCTAssertEqual(HalfPrecision.half(from: 1023.5 * 0x1p-24), 0x0400, "subnormal rounding carries into the exponent")
    }

    func testHalf_everyBitPatternRoundTrips() {
        for bits in 0...UInt16.max {
            let f = HalfPrecision.float(fromHalf: bits)
            if f.isNaN { continue }
            XCTAssertEqual(HalfPrecision.half(from: f), bits)
        }
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    func testHalf_matchesSwiftFloat16() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            if f.isNaN { continue }
            XCTAssertEqual(HalfPrecision.half(from: f), Float16(f).bitPattern, "\(f)")
        }
        for bits in 0...UInt16.max where !Float16(bitPattern: bits).isNaN {
            XCTAssertEqual(HalfPrecision.float(fromHalf: bits), Float(Float16(bitPattern: bits)))
        }
    }
    #endif

    func testBFloat16_knownValuesAndRounding() {
        XCTAssertEqual(HalfPrecision.bfloat16(from: 1), 0x3F80)
        XCTAssertEqual(HalfPrecision.bfloat16(from: -2), 0xC000)
        XCTAssertEqual(HalfPrecision.float(fromBFloat16: 0x3F80), 1)
        XCTAssertEqual(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F80_8000)), 0x3F80, "tie to even (down)")
        XCTAssertEqual(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F81_8000)), 0x3F82, "tie to even (up)")
        XCTAssertEqual(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(HalfPrecision.bfloat16(from: .greatestFiniteMagnitude), 0x7F80, "rounds to infinity")
        XCTAssertEqual(HalfPrecision.bfloat16(from: -.infinity), 0xFF80)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: .nan)).isNaN)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: Float(bitPattern: 0x7F80_0001))).isNaN,
                      "a NaN whose payload sits in the dropped bits stays NaN")
    }
}
