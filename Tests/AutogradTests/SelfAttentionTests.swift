import TestSupport
import XCTest
@testable import Autograd

final class SelfAttentionTests: XCTestCase {
    /// The op (sgemm per (image, head), pairs spread over `threads` workers) against the loop
    /// kernel: output, saved probabilities and the input gradient.
    private func checkAgainstReference(batch: Int, tokens: Int, heads: Int, headWidth: Int, threads: Int,
                                       file: StaticString = #filePath, line: UInt = #line) {
        let d = heads * headWidth
        let sizes = AttentionKernel.Sizes(batch: batch, tokens: tokens, heads: heads, headWidth: headWidth)
        let qkv = randomTensor([batch, tokens, 3 * d], seed: 1, scale: 2)
        let dy = randomTensor([batch, tokens, d], seed: 2)
        let g = Graph(compute: ComputePool(threads: threads))
        let x = g.input(qkv, requiresGrad: true)
        let y = x.selfAttention(heads: heads)
        g.backward(y, seedGradient: dy)

        let out = Tensor(zeros: [batch, tokens, d]), probs = Tensor(zeros: [batch, heads, tokens, tokens])
        let dqkv = Tensor(zeros: qkv.shape)
        AttentionKernel.forwardReference(out: out.data, probs: probs.data, qkv: qkv.data, sizes: sizes)
        AttentionKernel.backwardReference(dqkv: dqkv.data, dout: dy.data, probs: probs.data, qkv: qkv.data,
                                          sizes: sizes)
        assertClose(y.value, out, tolerance: 1e-4, "out", file: file, line: line)
        assertClose(g.grad(of: x)!, dqkv, tolerance: 1e-4, "dqkv", file: file, line: line)

        let fastProbs = Tensor(zeros: probs.shape), fastOut = Tensor(zeros: out.shape)
        AttentionKernel.forward(out: fastOut.data, probs: fastProbs.data, qkv: qkv.data, sizes: sizes,
                                compute: ComputePool(threads: threads))
        assertClose(fastProbs, probs, tolerance: 1e-5, "probabilities", file: file, line: line)
    }

    func testSelfAttention_threeHeads_oddTokens_batchOfTwo_matchesReference() {
        checkAgainstReference(batch: 2, tokens: 7, heads: 3, headWidth: 4, threads: 2)
    }

    func testSelfAttention_oneHead_singleThread_matchesReference() {
        checkAgainstReference(batch: 3, tokens: 13, heads: 1, headWidth: 5, threads: 1)
    }

    func testSelfAttention_morePairsThanWorkers_unevenSplit_matchesReference() {
        checkAgainstReference(batch: 3, tokens: 11, heads: 3, headWidth: 8, threads: 2)
    }

    func testSelfAttention_threeHeads_gradientMatchesFiniteDifferences() {
        let qkv = randomTensor([2, 5, 18], seed: 3)
        let report = GradientCheck.run(inputs: [qkv]) { _, v in v[0].selfAttention(heads: 3) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testSelfAttention_oneHead_gradientMatchesFiniteDifferences() {
        let qkv = randomTensor([1, 3, 12], seed: 4)
        let report = GradientCheck.run(inputs: [qkv]) { _, v in v[0].selfAttention(heads: 1) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// With one token every query sees only itself: the output is v exactly.
    func testSelfAttention_singleToken_returnsValues() {
        let qkv = randomTensor([2, 1, 6], seed: 5)
        let g = Graph()
        let y = g.input(qkv).selfAttention(heads: 2).value
        for b in 0..<2 {
            for c in 0..<2 { XCTAssertEqual(y[b * 2 + c], qkv[b * 6 + 4 + c], accuracy: 1e-6) }
        }
    }
}

final class RowSoftmaxTests: XCTestCase {
    func testExp_matchesFoundationExp_acrossRange() {
        var worst: Double = 0
        for i in 0...175_000 {
            let x = -87 + Float(i) * 0.001
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(RowSoftmax.exp(x)) - exact) / exact)
        }
        XCTAssertLessThan(worst, 4e-7)
        XCTAssertGreaterThan(RowSoftmax.exp(-1000), 0)
        XCTAssertLessThan(RowSoftmax.exp(-1000), 1e-37)
    }

    func testRowSoftmax_forwardAndBackward_matchDoublePrecision_forLengthsAroundSixteen() {
        var rng = SeededRNG(seed: 1)
        for n in [1, 5, 16, 17, 33, 148] {
            let x = (0..<n).map { _ in rng.uniform(-30, 30) }
            let dp = (0..<n).map { _ in rng.uniform(-1, 1) }
            var p = x
            p.withUnsafeMutableBufferPointer { RowSoftmax.forward($0.baseAddress!, count: n) }
            let m = Double(x.max()!)
            let e = x.map { Foundation.exp(Double($0) - m) }
            let z = e.reduce(0, +)
            for j in 0..<n { XCTAssertEqual(Double(p[j]), e[j] / z, accuracy: 1e-6, "n \(n) j \(j)") }

            var ds = dp
            ds.withUnsafeMutableBufferPointer { d in
                p.withUnsafeBufferPointer { RowSoftmax.backward(d.baseAddress!, probs: $0.baseAddress!, count: n) }
            }
            let dot = (0..<n).reduce(0.0) { $0 + e[$1] / z * Double(dp[$1]) }
            for j in 0..<n {
                XCTAssertEqual(Double(ds[j]), e[j] / z * (Double(dp[j]) - dot), accuracy: 1e-6, "n \(n) j \(j)")
            }
        }
    }
}
