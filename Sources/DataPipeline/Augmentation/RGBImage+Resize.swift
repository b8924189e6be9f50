import Imaging
/// Bilinear resizing that reproduces Pillow's `Image.resize(size, Image.BILINEAR)`, which is what
/// torchvision's `Resize` runs on PIL images in the official training code.
///
/// Pillow does not sample the four nearest pixels: it convolves with a triangle filter whose
/// support grows with the reduction factor, so downscaling averages (antialiases) instead of
/// skipping pixels. The work is separable and done in 8-bit steps:
/// 1. per output column, the input span and weights of the triangle scaled by max(1, in/out),
///    normalised to sum 1 and rounded to 22-bit fixed point;
/// 2. a horizontal pass (only if the width changes) rounding to uint8;
/// 3. a vertical pass (only if the height changes) on that uint8 intermediate, rounding again.
/// Doing the same integer arithmetic gives the same bytes as Pillow, not merely close ones
/// (checked on every size the recipes use). Pillow 13 runs the vertical pass first for some
/// non-square shapes (by a rule it does not document); there the intermediate rounding differs
/// and a few bytes move by one level, never more in our measurements.
extension RGBImage {
    public func resizedBilinear(width outWidth: Int, height outHeight: Int) -> RGBImage {
        precondition(outWidth > 0 && outHeight > 0, "resize to \(outWidth)x\(outHeight)")
        if outWidth == width && outHeight == height { return self }
        var current = self
        if outWidth != width {
            let weights = ResampleWeights(inputSize: width, outputSize: outWidth)
            current = current.resampledHorizontally(weights)
        }
        if outHeight != height {
            let weights = ResampleWeights(inputSize: height, outputSize: outHeight)
            current = current.resampledVertically(weights)
        }
        return current
    }

    /// Square convenience: what `Resize((size, size))` does.
    public func resizedBilinear(size: Int) -> RGBImage {
        resizedBilinear(width: size, height: size)
    }

    private func resampledHorizontally(_ weights: ResampleWeights) -> RGBImage {
        let outWidth = weights.outputSize
        var out = [UInt8](repeating: 0, count: outWidth * height * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let rowIn = y * width * 3
                    let rowOut = y * outWidth * 3
                    for xx in 0..<outWidth {
                        let start = weights.starts[xx], n = weights.counts[xx], k = xx * weights.kernelSize
                        var s0 = ResampleWeights.half, s1 = ResampleWeights.half, s2 = ResampleWeights.half
                        for i in 0..<n {
                            let w = weights.coefficients[k + i]
                            let p = rowIn + (start + i) * 3
                            s0 += Int(src[p]) * w
                            s1 += Int(src[p + 1]) * w
                            s2 += Int(src[p + 2]) * w
                        }
                        dst[rowOut + xx * 3] = ResampleWeights.clip8(s0)
                        dst[rowOut + xx * 3 + 1] = ResampleWeights.clip8(s1)
                        dst[rowOut + xx * 3 + 2] = ResampleWeights.clip8(s2)
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: height, pixels: out)
    }

    private func resampledVertically(_ weights: ResampleWeights) -> RGBImage {
        let outHeight = weights.outputSize
        let rowLength = width * 3
        var out = [UInt8](repeating: 0, count: width * outHeight * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for yy in 0..<outHeight {
                    let start = weights.starts[yy], n = weights.counts[yy], k = yy * weights.kernelSize
                    for c in 0..<rowLength {
                        var s = ResampleWeights.half
                        for i in 0..<n {
                            s += Int(src[(start + i) * rowLength + c]) * weights.coefficients[k + i]
                        }
                        dst[yy * rowLength + c] = ResampleWeights.clip8(s)
                    }
                }
            }
        }
        return RGBImage(width: width, height: outHeight, pixels: out)
    }
}

/// The fixed-point triangle-filter weights of one axis (Pillow's `precompute_coeffs` followed by
/// `normalize_coeffs_8bpc`, restated).
struct ResampleWeights {
    /// Pillow keeps 32 − 8 − 2 fractional bits: 8 for the pixel, 2 headroom for filter overshoot.
    static let precisionBits = 22
    static let half = 1 << (precisionBits - 1)

    let outputSize: Int
    /// Room reserved per output sample in `coefficients`.
    let kernelSize: Int
    /// First input index contributing to each output sample.
    let starts: [Int]
    /// Number of contributing inputs per output sample.
    let counts: [Int]
    /// `outputSize · kernelSize` fixed-point weights.
    let coefficients: [Int]

    init(inputSize: Int, outputSize: Int) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale  // the triangle's support is 1 before scaling
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var coefficients = [Int](repeating: 0, count: outputSize * kernelSize)
        var weights = [Double](repeating: 0, count: kernelSize)
        let inverseScale = 1.0 / filterScale  // multiplied, as Pillow does, for identical rounding
        for xx in 0..<outputSize {
            let center = (Double(xx) + 0.5) * scale
            // Pillow rounds the span ends by adding 0.5 and truncating toward zero.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inputSize) - xmin
            var total = 0.0
            for x in 0..<xmax {
                let w = Self.triangle((Double(x + xmin) - center + 0.5) * inverseScale)
                weights[x] = w
                total += w
            }
            for x in 0..<xmax {
                let w = total != 0 ? weights[x] / total : weights[x]
                let fixed = w * Double(1 << Self.precisionBits)
                coefficients[xx * kernelSize + x] = w < 0 ? Int(fixed - 0.5) : Int(fixed + 0.5)
            }
            starts[xx] = xmin
            counts[xx] = max(xmax, 0)
        }
        self.outputSize = outputSize
        self.kernelSize = kernelSize
        self.starts = starts
        self.counts = counts
        self.coefficients = coefficients
    }

    static func triangle(_ x: Double) -> Double {
        let a = abs(x)
        return a < 1 ? 1 - a : 0
    }

    @inline(__always)
    static func clip8(_ sum: Int) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }
}
