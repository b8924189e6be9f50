/// Softmax of single rows, forward and backward.
///
/// Shapes: one row of n floats (x, p, dp). The attention kernel runs these on every row of
/// every [T, T] probability matrix, where a libm `expf` call per element costs about as much
/// as the two matrix products around it. The loops are written so LLVM vectorises them:
/// the exp is branch-free scalar code (no calls), reductions keep several partial results
/// (a single float accumulator would chain every add). Swift's generic SIMD operations
/// (`rounded`, `pointwiseMax`, integer conversion) are avoided: they compile lane by lane.
enum RowSoftmax {
    /// x ← softmax(x), shifted by the row maximum so the exponent never overflows.
    @inline(__always)
    static func forward(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        let m = maximum(x, count: n)
        for j in 0..<n { x[j] = exp(x[j] - m) }
        let inv = 1 / PlaneReductions.sum(x, n)
        for j in 0..<n { x[j] *= inv }
    }

    /// dp ← p ⊙ (dp − Σ_j p_j·dp_j): the gradient of the softmax input given that of its output.
    @inline(__always)
    static func backward(_ dp: UnsafeMutablePointer<Float>, probs p: UnsafePointer<Float>, count n: Int) {
        let full = n & ~15
        var acc = SIMD16<Float>(repeating: 0)
        for j in stride(from: 0, to: full, by: 16) { acc += PlaneReductions.load(p, j) * PlaneReductions.load(dp, j) }
        var dot = acc.sum()
        for j in full..<n { dot += p[j] * dp[j] }
        for j in 0..<n { dp[j] = p[j] * (dp[j] - dot) }
    }

    /// e^x with relative error below 4e-7 on [−87, 88]; inputs outside are clamped (below:
    /// a value near the smallest normal float, where softmax weights are zero anyway).
    /// Range reduction x = k·ln2 + r with |r| ≤ ln2/2, Cephes' degree-6 polynomial for e^r,
    /// and 2^k written straight into the exponent bits.
    @inline(__always)
    static func exp(_ v: Float) -> Float {
        let x = Swift.min(Swift.max(v, -87.3), 88.3)
        // Adding 1.5·2²³ rounds to an integer k held in the low mantissa bits.
        let shifted = x * 1.442_695_040_888_963_4 + 12_582_912
        let k = shifted - 12_582_912
        // ln2 split in two so k·ln2 is subtracted without losing r's low bits.
        let r = x - k * 0.693_359_375 - k * -2.121_944_400_546_905_8e-4
        var poly: Float = 1.987_569_150_0e-4
        poly = poly * r + 1.398_199_950_7e-3
        poly = poly * r + 8.333_451_907_3e-3
        poly = poly * r + 4.166_579_589_4e-2
        poly = poly * r + 1.666_666_545_9e-1
        poly = poly * r + 5.000_000_120_1e-1
        let er = poly * r * r + r + 1
        let exponent = (Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) &<< 23
        return er * Float(bitPattern: UInt32(bitPattern: exponent))
    }

    /// The largest element, over eight independent running maxima.
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var m = -Float.infinity
        let full = n & ~7
        var m0 = m, m1 = m, m2 = m, m3 = m, m4 = m, m5 = m, m6 = m, m7 = m
        for j in stride(from: 0, to: full, by: 8) {
            m0 = x[j] > m0 ? x[j] : m0
            m1 = x[j + 1] > m1 ? x[j + 1] : m1
            m2 = x[j + 2] > m2 ? x[j + 2] : m2
            m3 = x[j + 3] > m3 ? x[j + 3] : m3
            m4 = x[j + 4] > m4 ? x[j + 4] : m4
            m5 = x[j + 5] > m5 ? x[j + 5] : m5
            m6 = x[j + 6] > m6 ? x[j + 6] : m6
            m7 = x[j + 7] > m7 ? x[j + 7] : m7
        }
        m = Swift.max(Swift.max(Swift.max(m0, m1), Swift.max(m2, m3)), Swift.max(Swift.max(m4, m5), Swift.max(m6, m7)))
        for j in full..<n { m = Swift.max(m, x[j]) }
        return m
    }
}
