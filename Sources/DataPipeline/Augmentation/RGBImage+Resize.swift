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
        // An image without pixels has nothing to weigh: black, as the passes would make it.
        if pixels.isEmpty { return RGBImage(width: outWidth, height: outHeight, pixels: [UInt8](repeating: 0, count: outWidth * outHeight * 3)) }
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

    // Both passes sum in Int32, as Pillow does: the weights of a sample sum to 2²² and are never
    // negative for the triangle, so a sum stays below 255 · 2²² + 2²¹ < 2³¹.

    private func resampledHorizontally(_ weights: ResampleWeights) -> RGBImage {
        let outWidth = weights.outputSize, height = height, width = width
        var out = [UInt8](repeating: 0, count: outWidth * height * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                weights.withRaw { starts, counts, coefficients in
                    for y in 0..<height {
                        let rowIn = src.baseAddress! + y * width * 3
                        let rowOut = dst.baseAddress! + y * outWidth * 3
                        for xx in 0..<outWidth {
                            let taps = coefficients + xx * weights.kernelSize
                            var p = rowIn + starts[xx] * 3
                            var s0 = Int32(ResampleWeights.half), s1 = s0, s2 = s0
                            for i in 0..<counts[xx] {
                                let w = taps[i]
                                s0 &+= Int32(p[0]) &* w
                                s1 &+= Int32(p[1]) &* w
                                s2 &+= Int32(p[2]) &* w
                                p += 3
                            }
                            rowOut[xx * 3] = ResampleWeights.clip8(s0)
                            rowOut[xx * 3 + 1] = ResampleWeights.clip8(s1)
                            rowOut[xx * 3 + 2] = ResampleWeights.clip8(s2)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: height, pixels: out)
    }

    /// Row by row: each output row is the weighted sum of whole input rows, accumulated in one
    /// Int32 row (contiguous, so the additions run as vector instructions).
    private func resampledVertically(_ weights: ResampleWeights) -> RGBImage {
        let outHeight = weights.outputSize
        let rowLength = width * 3
        var out = [UInt8](repeating: 0, count: width * outHeight * 3)
        var sums = [Int32](repeating: 0, count: rowLength)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                sums.withUnsafeMutableBufferPointer { acc in
                    weights.withRaw { starts, counts, coefficients in
                        for yy in 0..<outHeight {
                            let taps = coefficients + yy * weights.kernelSize
                            for c in 0..<rowLength { acc[c] = Int32(ResampleWeights.half) }
                            for i in 0..<counts[yy] {
                                let row = src.baseAddress! + (starts[yy] + i) * rowLength, w = taps[i]
                                for c in 0..<rowLength { acc[c] &+= Int32(row[c]) &* w }
                            }
                            let rowOut = dst.baseAddress! + yy * rowLength
                            for c in 0..<rowLength { rowOut[c] = ResampleWeights.clip8(acc[c]) }
                        }
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
    /// `outputSize · kernelSize` fixed-point weights (each below 2²², so Int32 holds them).
    let coefficients: [Int32]

    init(inputSize: Int, outputSize: Int) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale  // the triangle's support is 1 before scaling
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var coefficients = [Int32](repeating: 0, count: outputSize * kernelSize)
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
                coefficients[xx * kernelSize + x] = Int32(w < 0 ? fixed - 0.5 : fixed + 0.5)
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
    static func clip8(_ sum: Int32) -> UInt8 {
        UInt8(clamping: sum >> Int32(precisionBits))
    }

    /// The three tables as raw pointers, for the passes' inner loops.
    func withRaw<R>(_ body: (UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int32>) throws -> R) rethrows -> R {
        try starts.withUnsafeBufferPointer { s in
            try counts.withUnsafeBufferPointer { n in
                try coefficients.withUnsafeBufferPointer { try body(s.baseAddress!, n.baseAddress!, $0.baseAddress!) }
            }
        }
    }
}
