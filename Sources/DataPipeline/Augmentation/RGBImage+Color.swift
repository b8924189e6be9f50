import Imaging
/// The four colour adjustments of torchvision's `ColorJitter` on PIL images, restated from
/// Pillow's arithmetic: brightness, contrast and saturation blend the image with a "degenerate"
/// image (black, mean grey, per-pixel grey) in float32 and truncate; hue goes through Pillow's
/// 8-bit HSV and shifts H with uint8 wrap-around.
extension RGBImage {
    /// `adjust_brightness`: blend with black. Factor 1 is the identity, 0 is black.
    public func adjustingBrightness(_ factor: Double) -> RGBImage {
        blended(over: .black, factor: factor)
    }

    /// `adjust_contrast`: blend with a uniform grey at the image's mean luma (rounded).
    public func adjustingContrast(_ factor: Double) -> RGBImage {
        var total = 0
        for p in 0..<(width * height) { total += Int(luma(at: p * 3)) }
        let count = max(width * height, 1)
        let mean = UInt8(clamping: Int(Double(total) / Double(count) + 0.5))
        return blended(over: .grey(mean), factor: factor)
    }

    /// `adjust_saturation`: blend with the image's own grey version.
    public func adjustingSaturation(_ factor: Double) -> RGBImage {
        blended(over: .luma, factor: factor)
    }

    /// `adjust_hue`: shift the 8-bit hue by `trunc(factor · 255)` modulo 256; `factor` in [−0.5, 0.5].
    public func adjustingHue(_ factor: Double) -> RGBImage {
        let shift = UInt8(truncatingIfNeeded: Int(factor * 255))
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in stride(from: 0, to: width * height * 3, by: 3) {
                    var hsv = HSV8(red: src[i], green: src[i + 1], blue: src[i + 2])
                    hsv.hue &+= shift
                    let rgb = hsv.rgb
                    dst[i] = rgb.0; dst[i + 1] = rgb.1; dst[i + 2] = rgb.2
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// ITU-R 601-2 luma in 16-bit fixed point, as Pillow's `convert("L")` computes it.
    @inline(__always)
    func luma(at i: Int) -> UInt8 { Self.luma(pixels[i], pixels[i + 1], pixels[i + 2]) }

    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (Int(r) * 19595 + Int(g) * 38470 + Int(b) * 7471 + 0x8000) >> 16)
    }

    /// The image `blended` mixes with.
    private enum Degenerate {
        case black
        case grey(UInt8)
        /// Each pixel's own luma.
        case luma
    }

    /// Pillow's `Image.blend(degenerate, self, factor)`: `d + α(s − d)` in float32, truncated,
    /// clipped to 0…255 when α extrapolates. One plain loop per kind of degenerate image, over
    /// raw buffers: the colour jitter runs three of these on every training image.
    private func blended(over degenerate: Degenerate, factor: Double) -> RGBImage {
        let alpha = Float(factor)
        if alpha == 1 { return self }
        var out = [UInt8](repeating: 0, count: pixels.count)
        let count = width * height * 3
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                switch degenerate {
                case .black:
                    for i in 0..<count { dst[i] = Self.blend(0, src[i], alpha) }
                case .grey(let grey):
                    for i in 0..<count { dst[i] = Self.blend(grey, src[i], alpha) }
                case .luma:
                    for i in stride(from: 0, to: count, by: 3) {
                        let l = Self.luma(src[i], src[i + 1], src[i + 2])
                        dst[i] = Self.blend(l, src[i], alpha)
                        dst[i + 1] = Self.blend(l, src[i + 1], alpha)
                        dst[i + 2] = Self.blend(l, src[i + 2], alpha)
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    @inline(__always)
    private static func blend(_ d: UInt8, _ s: UInt8, _ alpha: Float) -> UInt8 {
        let v = Float(Int(d)) + alpha * Float(Int(s) - Int(d))
        // Clamped, then truncated toward zero as C's cast: the same bytes as testing each end.
        return UInt8(min(max(v, 0), 255))
    }
}

/// Pillow's 8-bit HSV (all three channels 0…255), with its float rounding, so that a hue shift
/// of zero round-trips the way Pillow's does. Pillow's two library calls per direction (`fmod`
/// and `round`) are replaced by steps that give the same bits on the values that occur here
/// (checked against a plain restatement over millions of colours in the tests): the hue jitter
/// is the training loader's costliest step per pixel.
struct HSV8 {
    var hue: UInt8
    var saturation: UInt8
    var value: UInt8

    init(hue: UInt8, saturation: UInt8, value: UInt8) {
        self.hue = hue
        self.saturation = saturation
        self.value = value
    }

    @inline(__always)
    init(red r: UInt8, green g: UInt8, blue b: UInt8) {
        let maxc = max(r, g, b), minc = min(r, g, b)
        value = maxc
        if maxc == minc { hue = 0; saturation = 0; return }
        let range = Float(Int(maxc) - Int(minc))
        let s = range / Float(maxc)
        let rc = Float(Int(maxc) - Int(r)) / range
        let gc = Float(Int(maxc) - Int(g)) / range
        let bc = Float(Int(maxc) - Int(b)) / range
        let h: Float
        // The 2.0 and 4.0 literals make C do those two sums in double.
        if r == maxc {
            h = bc - gc
        } else if g == maxc {
            h = Float(2.0 + Double(rc) - Double(bc))
        } else {
            h = Float(4.0 + Double(gc) - Double(rc))
        }
        // C computes fmod(h / 6.0 + 1.0, 1.0) in double. h lies in [−1, 5], so the sum lies in
        // [5/6, 11/6]: fmod is one exact subtraction of 1 where the sum reaches 1.
        var wrapped = Double(h) / 6.0 + 1.0
        if wrapped >= 1 { wrapped -= 1 }
        wrapped = Double(Float(wrapped))
        hue = UInt8(clamping: Int(wrapped * 255.0))
        saturation = UInt8(clamping: Int(Double(s) * 255.0))
    }

    /// C's `round` (halves away from zero) of a value ≥ 0, without the library call: the
    /// fraction above the floor is exact in double.
    @inline(__always)
    private static func roundHalfUp(_ x: Double) -> UInt8 {
        let floor = x.rounded(.down)
        return UInt8(clamping: Int(floor) + (x - floor >= 0.5 ? 1 : 0))
    }

    /// Mixed float/double arithmetic as in Pillow's `hsv2rgb` (C promotes to double where a
    /// double literal is involved; `fs · f` alone stays float).
    @inline(__always)
    var rgb: (UInt8, UInt8, UInt8) {
        if saturation == 0 { return (value, value, value) }
        let scaled = Double(hue) * 6.0 / 255.0
        let sector = Int(scaled.rounded(.down))
        let f = Float(scaled - Double(sector))
        let fs = Float(Double(saturation) / 255.0)
        let v = Double(value)
        let p = Self.roundHalfUp(v * (1.0 - Double(fs)))
        let q = Self.roundHalfUp(v * (1.0 - Double(fs * f)))
        let t = Self.roundHalfUp(v * (1.0 - Double(fs) * (1.0 - Double(f))))
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
