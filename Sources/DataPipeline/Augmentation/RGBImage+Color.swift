import Imaging
/// The four colour adjustments of torchvision's `ColorJitter` on PIL images, restated from
/// Pillow's arithmetic: brightness, contrast and saturation blend the image with a "degenerate"
/// image (black, mean grey, per-pixel grey) in float32 and truncate; hue goes through Pillow's
/// 8-bit HSV and shifts H with uint8 wrap-around.
extension RGBImage {
    /// `adjust_brightness`: blend with black. Factor 1 is the identity, 0 is black.
    public func adjustingBrightness(_ factor: Double) -> RGBImage {
        blended(over: { _ in (0, 0, 0) }, factor: factor)
    }

    /// `adjust_contrast`: blend with a uniform grey at the image's mean luma (rounded).
    public func adjustingContrast(_ factor: Double) -> RGBImage {
        var total = 0
        for p in 0..<(width * height) { total += Int(luma(at: p * 3)) }
        let count = max(width * height, 1)
        let mean = UInt8(clamping: Int(Double(total) / Double(count) + 0.5))
        return blended(over: { _ in (mean, mean, mean) }, factor: factor)
    }

    /// `adjust_saturation`: blend with the image's own grey version.
    public func adjustingSaturation(_ factor: Double) -> RGBImage {
        blended(over: { i in let l = self.luma(at: i); return (l, l, l) }, factor: factor)
    }

    /// `adjust_hue`: shift the 8-bit hue by `trunc(factor · 255)` modulo 256; `factor` in [−0.5, 0.5].
    public func adjustingHue(_ factor: Double) -> RGBImage {
        let shift = UInt8(truncatingIfNeeded: Int(factor * 255))
        var out = pixels
        for p in 0..<(width * height) {
            let i = p * 3
            var hsv = HSV8(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
            hsv.hue &+= shift
            let rgb = hsv.rgb
            out[i] = rgb.0; out[i + 1] = rgb.1; out[i + 2] = rgb.2
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// ITU-R 601-2 luma in 16-bit fixed point, as Pillow's `convert("L")` computes it.
    @inline(__always)
    func luma(at i: Int) -> UInt8 {
        let v = Int(pixels[i]) * 19595 + Int(pixels[i + 1]) * 38470 + Int(pixels[i + 2]) * 7471 + 0x8000
        return UInt8(truncatingIfNeeded: v >> 16)
    }

    /// Pillow's `Image.blend(degenerate, self, factor)`: `d + α(s − d)` in float32, truncated,
    /// clipped to 0…255 when α extrapolates.
    private func blended(over degenerate: (Int) -> (UInt8, UInt8, UInt8), factor: Double) -> RGBImage {
        let alpha = Float(factor)
        if alpha == 1 { return self }
        var out = pixels
        for p in 0..<(width * height) {
            let i = p * 3
            let d = degenerate(i)
            out[i] = Self.blend(d.0, pixels[i], alpha)
            out[i + 1] = Self.blend(d.1, pixels[i + 1], alpha)
            out[i + 2] = Self.blend(d.2, pixels[i + 2], alpha)
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    @inline(__always)
    private static func blend(_ d: UInt8, _ s: UInt8, _ alpha: Float) -> UInt8 {
        let v = Float(Int(d)) + alpha * Float(Int(s) - Int(d))
        if v <= 0 { return 0 }
        if v >= 255 { return 255 }
        return UInt8(v)  // truncation toward zero, as C's cast
    }
}

/// Pillow's 8-bit HSV (all three channels 0…255), with its float rounding, so that a hue shift
/// of zero round-trips the way Pillow's does.
struct HSV8 {
    var hue: UInt8
    var saturation: UInt8
    var value: UInt8

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
        // C computes this in double (the literals are doubles) before storing to float.
        var wrapped = (Double(h) / 6.0 + 1.0).truncatingRemainder(dividingBy: 1.0)
        wrapped = Double(Float(wrapped))
        hue = UInt8(clamping: Int(wrapped * 255.0))
        saturation = UInt8(clamping: Int(Double(s) * 255.0))
    }

    /// Mixed float/double arithmetic as in Pillow's `hsv2rgb` (C promotes to double where a
    /// double literal is involved; `fs · f` alone stays float).
    var rgb: (UInt8, UInt8, UInt8) {
        if saturation == 0 { return (value, value, value) }
        let scaled = Double(hue) * 6.0 / 255.0
        let sector = Int(scaled.rounded(.down))
        let f = Float(scaled - Double(sector))
        let fs = Float(Double(saturation) / 255.0)
        let v = Double(value)
        let p = UInt8(clamping: Int((v * (1.0 - Double(fs))).rounded()))
        let q = UInt8(clamping: Int((v * (1.0 - Double(fs * f))).rounded()))
        let t = UInt8(clamping: Int((v * (1.0 - Double(fs) * (1.0 - Double(f)))).rounded()))
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
