import XCTest
@testable import DataPipeline

/// `HSV8` against a plain restatement of Pillow's `rgb2hsv`/`hsv2rgb` (library `fmod` and
/// `round`, as the C code calls them): the same bytes in both directions, on every colour of a
/// lattice through the RGB cube and on every (h, s, v) with s and v on a lattice. (The Pillow
/// fixtures check the whole hue adjustment against Pillow itself.)
final class HSV8Tests: XCTestCase {
    struct PlainHSV {
        var hue: UInt8, saturation: UInt8, value: UInt8

        init(red r: UInt8, green g: UInt8, blue b: UInt8) {
            let maxc = max(r, g, b), minc = min(r, g, b)
            value = maxc
            if maxc == minc { hue = 0; saturation = 0; return }
            let range = Float(Int(maxc) - Int(minc))
            let s = range / Float(maxc)
            let rc = Float(Int(maxc) - Int(r)) / range
            let gc = Float(Int(maxc) - Int(g)) / range
            let bc = Float(Int(maxc) - Int(b)) / range
            let h: Float = r == maxc ? bc - gc
                : g == maxc ? Float(2.0 + Double(rc) - Double(bc)) : Float(4.0 + Double(gc) - Double(rc))
            let wrapped = Double(Float(fmod(Double(h) / 6.0 + 1.0, 1.0)))
            hue = UInt8(clamping: Int(wrapped * 255.0))
            saturation = UInt8(clamping: Int(Double(s) * 255.0))
        }

        init(hue: UInt8, saturation: UInt8, value: UInt8) {
            self.hue = hue; self.saturation = saturation; self.value = value
        }

        var rgb: (UInt8, UInt8, UInt8) {
            if saturation == 0 { return (value, value, value) }
            let scaled = Double(hue) * 6.0 / 255.0
            let sector = Int(floor(scaled))
            let f = Float(scaled - Double(sector))
            let fs = Float(Double(saturation) / 255.0)
            let v = Double(value)
            let p = UInt8(clamping: Int(round(v * (1.0 - Double(fs)))))
            let q = UInt8(clamping: Int(round(v * (1.0 - Double(fs * f)))))
            let t = UInt8(clamping: Int(round(v * (1.0 - Double(fs) * (1.0 - Double(f))))))
            switch sector % 6 {
            case 0: return (value, t, p)
            case 1: return (q, value, p)
            case 2: return (p, value, t)
            case 3: return (p, q, value)
            case 4: return (t, p, value)
            default: return (value, p, q)
            }
        }
    }

    func testRGBToHSV_givesPillowsBytes() {
        var differing = 0, checked = 0
        // Every r and g, b on a stride that moves with r and g, so every b value is met.
        for r in 0...255 {
            for g in 0...255 {
                for b in stride(from: (r * 7 + g * 3) % 17, through: 255, by: 17) {
                    let fast = HSV8(red: UInt8(r), green: UInt8(g), blue: UInt8(b))
                    let plain = PlainHSV(red: UInt8(r), green: UInt8(g), blue: UInt8(b))
                    if (fast.hue, fast.saturation, fast.value) != (plain.hue, plain.saturation, plain.value) { differing += 1 }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 900_000)
        XCTAssertEqual(differing, 0, "of \(checked) colours")
    }

    func testHSVToRGB_givesPillowsBytes() {
        var differing = 0, checked = 0
        for h in 0...255 {
            for s in 0...255 {
                for v in stride(from: (h + s) % 11, through: 255, by: 11) {
                    let fast = HSV8(hue: UInt8(h), saturation: UInt8(s), value: UInt8(v)).rgb
                    let plain = PlainHSV(hue: UInt8(h), saturation: UInt8(s), value: UInt8(v)).rgb
                    if fast != plain { differing += 1 }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 1_400_000)
        XCTAssertEqual(differing, 0, "of \(checked) colours")
    }
}
