import TestSupport
import XCTest
@testable import Autograd

final class BatchNormTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { rng.uniform(low, high) }
    }

    func testTraining_normalisesWithBatchStatistics_andUpdatesRunningStats() {
        // One channel holding 1, 2, 3, 4: μ = 2.5, biased σ² = 1.25, unbiased σ² = 5/3.
        let g = Graph(training: true)
        let x = g.input(Tensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 4]))
        let w = g.input(Tensor(shape: [1], values: [2])), b = g.input(Tensor(shape: [1], values: [0.5]))
        let rm = Tensor(shape: [1], values: [1]), rv = Tensor(shape: [1], values: [2])
        let y = x.batchNorm2d(weight: w, bias: b, runningMean: rm, runningVar: rv, momentum: 0.1, eps: 1e-5)
        let s = 1 / (1.25 + 1e-5 as Float).squareRoot()
        for (i, v) in [Float(1), 2, 3, 4].enumerated() {
            XCTAssertEqual(y.value[i], 2 * (v - 2.5) * s + 0.5, accuracy: 1e-5)
        }
        XCTAssertEqual(rm[0], 0.9 * 1 + 0.1 * 2.5, accuracy: 1e-6)
        XCTAssertEqual(rv[0], 0.9 * 2 + 0.1 * (5.0 / 3.0), accuracy: 1e-6)
    }

    func testEvaluation_usesRunningStatistics_andLeavesThemAlone() {
        let g = Graph(training: false)
        let x = g.input(Tensor(shape: [1, 2, 1, 2], values: [1, 2, 3, 4]))
        let w = g.input(Tensor(shape: [2], values: [1, 3])), b = g.input(Tensor(shape: [2], values: [0, -1]))
        let rm = Tensor(shape: [2], values: [0.5, 2]), rv = Tensor(shape: [2], values: [4, 0.25])
        let y = x.batchNorm2d(weight: w, bias: b, runningMean: rm, runningVar: rv, eps: 0)
        XCTAssertEqual(y.value.array, [0.25, 0.75, 5, 11])
        XCTAssertEqual(rm.array, [0.5, 2])
        XCTAssertEqual(rv.array, [4, 0.25])
    }

    func testTraining_matchesPlainReference_manyChannels() {
        let (N, C, H, W) = (3, 5, 5, 7)  // 35-pixel planes: SIMD lanes and a scalar tail
        let x = random([N, C, H, W], seed: 1, low: -2, high: 3)
        let w = random([C], seed: 2), b = random([C], seed: 3)
        let g = Graph(training: true)
        let rm = Tensor(zeros: [C]), rv = Tensor(shape: [C]) { 1 }
        let y = g.input(x).batchNorm2d(weight: g.input(w), bias: g.input(b), runningMean: rm, runningVar: rv)
        for c in 0..<C {
            var values: [Double] = []
            for n in 0..<N { for p in 0..<(H * W) { values.append(Double(x[(n * C + c) * H * W + p])) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            for n in 0..<N {
                for p in 0..<(H * W) {
                    let i = (n * C + c) * H * W + p
                    let expected = (Double(x[i]) - mean) / (variance + 1e-5).squareRoot() * Double(w[c]) + Double(b[c])
                    XCTAssertEqual(Double(y.value[i]), expected, accuracy: 1e-5)
                }
            }
            XCTAssertEqual(Double(rm[c]), 0.1 * mean, accuracy: 1e-6)
            XCTAssertEqual(Double(rv[c]), 0.9 + 0.1 * variance * Double(values.count) / Double(values.count - 1), accuracy: 1e-5)
        }
    }

    func testTraining_gradientsMatchFiniteDifferences() {
        for shape in [[3, 4, 3, 5], [2, 3, 1, 1], [1, 2, 3, 3], [2, 2, 4, 9]] {
            let C = shape[1]
            let x = random(shape, seed: 4, low: -2, high: 2)
            let w = random([C], seed: 5, low: 0.5, high: 1.5), b = random([C], seed: 6)
            let report = GradientCheck.run(inputs: [x, w, b], training: true, epsilon: 1e-3) { _, v in
                v[0].batchNorm2d(weight: v[1], bias: v[2], runningMean: Tensor(zeros: [C]),
                                 runningVar: Tensor(shape: [C]) { 1 })
            }
            XCTAssertTrue(report.passed, "\(shape): \(report)")
        }
    }

    func testEvaluation_gradientsMatchFiniteDifferences() {
        let shape = [2, 3, 4, 3]
        let x = random(shape, seed: 7, low: -2, high: 2)
        let w = random([3], seed: 8), b = random([3], seed: 9)
        let rm = random([3], seed: 10), rv = random([3], seed: 11, low: 0.5, high: 2)
        let report = GradientCheck.run(inputs: [x, w, b], training: false) { _, v in
            v[0].batchNorm2d(weight: v[1], bias: v[2], runningMean: rm, runningVar: rv)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// BN(x) + r in one op against the two ops it replaces: the same bits forward, and the same
    /// gradients for x, weight, bias and r, in training and evaluation.
    func testAddingAResidual_equalsBatchNormThenAdd_bitForBit() {
        for training in [true, false] {
            let shape = [2, 3, 4, 5]
            let x = random(shape, seed: 21, low: -2, high: 2), r = random(shape, seed: 22, low: -3, high: 3)
            let w = random([3], seed: 23, low: 0.5, high: 1.5), b = random([3], seed: 24)
            let dy = random(shape, seed: 25)
            func run(fused: Bool) -> [[Float]] {
                let g = Graph(training: training)
                let vs = [x, w, b, r].map { g.input($0, requiresGrad: true) }
                let rm = Tensor(shape: [3]) { 0.2 }, rv = Tensor(shape: [3]) { 1.5 }
                let y = fused
                    ? vs[0].batchNorm2d(weight: vs[1], bias: vs[2], runningMean: rm, runningVar: rv, adding: vs[3])
                    : vs[0].batchNorm2d(weight: vs[1], bias: vs[2], runningMean: rm, runningVar: rv) + vs[3]
                g.backward(y, seedGradient: dy)
                return [y.value.array, rm.array, rv.array] + vs.map { g.grad(of: $0)!.array }
            }
            let (fused, plain) = (run(fused: true), run(fused: false))
            for (i, (a, b)) in zip(fused, plain).enumerated() {
                XCTAssertTrue(a == b, "training \(training): output \(i) differs")
                XCTAssertFalse(a.contains { !$0.isFinite })
            }
        }
    }

    func testAddingAResidual_gradientsMatchFiniteDifferences() {
        let shape = [2, 3, 3, 4]
        let x = random(shape, seed: 31, low: -2, high: 2), r = random(shape, seed: 32)
        let w = random([3], seed: 33, low: 0.5, high: 1.5), b = random([3], seed: 34)
        let report = GradientCheck.run(inputs: [x, w, b, r], training: true, epsilon: 1e-3) { _, v in
            v[0].batchNorm2d(weight: v[1], bias: v[2], runningMean: Tensor(zeros: [3]),
                             runningVar: Tensor(shape: [3]) { 1 }, adding: v[3])
        }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
