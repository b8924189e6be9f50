import TestSupport
import XCTest
@testable import Autograd

final class ReduceTests: XCTestCase {
    func testSumMean_overAxes() {
        let x = randomTensor([2, 3, 4], seed: 1)
        let s = evaluate([x]) { $0[0].sum(axes: [1]) }
        XCTAssertEqual(s.shape, [2, 4])
        XCTAssertEqual(s[1 * 4 + 2], x[(1 * 3 + 0) * 4 + 2] + x[(1 * 3 + 1) * 4 + 2] + x[(1 * 3 + 2) * 4 + 2], accuracy: 1e-6)
        let m = evaluate([x]) { $0[0].mean(axes: [0, 2], keepDims: true) }
        XCTAssertEqual(m.shape, [1, 3, 1])
        XCTAssertEqual(evaluate([x]) { $0[0].mean() }.shape, [])
        for (axes, keep) in [([1], false), ([0, 2], true), ([2], true)] as [([Int], Bool)] {
            XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].sum(axes: axes, keepDims: keep) }.passed)
            XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].mean(axes: axes, keepDims: keep) }.passed)
        }
        XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].mean() }.passed)
    }

    func testMinMax_valuesAndGradients() {
        let x = randomTensor([3, 5], seed: 2)
        XCTAssertEqual(evaluate([x]) { $0[0].maximum() }[0], x.array.max()!)
        XCTAssertEqual(evaluate([x]) { $0[0].minimum() }[0], x.array.min()!)
        XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].maximum() }.passed)
        XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].minimum() }.passed)
    }

    /// Ties share the gradient evenly (PyTorch's rule for full reductions); finite differences
    /// are not defined at a tie, so the split is checked directly.
    func testMaxWithTies_sharesGradientEvenly() {
        let x = Tensor(shape: [2, 3], values: [1, 4, 4, -2, 4, 0])
        let g = Graph()
        let v = g.input(x, requiresGrad: true)
        g.backward(v.maximum())
        XCTAssertEqual(g.grad(of: v)!.array, [0, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 0])
        let g2 = Graph()
        let w = g2.input(Tensor(shape: [4], values: [-1, 2, -1, 3]), requiresGrad: true)
        g2.backward(w.minimum(), seed: 2)
        XCTAssertEqual(g2.grad(of: w)!.array, [1, 0, 1, 0])
    }
}
