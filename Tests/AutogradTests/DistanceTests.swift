import TestSupport
import XCTest
@testable import Autograd

final class DistanceTests: XCTestCase {
    func testPairwiseDistance_matchesDirectFormula() {
        let a = randomTensor([2, 3, 5], seed: 1), b = randomTensor([2, 4, 5], seed: 2)
        let d = evaluate([a, b]) { $0[0].pairwiseDistance($0[1]) }
        XCTAssertEqual(d.shape, [2, 3, 4])
        for bi in 0..<2 { for i in 0..<3 { for j in 0..<4 {
            var s: Float = 0
            for k in 0..<5 { let t = a[(bi * 3 + i) * 5 + k] - b[(bi * 4 + j) * 5 + k]; s += t * t }
            XCTAssertEqual(d[(bi * 3 + i) * 4 + j], s.squareRoot(), accuracy: 1e-5)
        } } }
        let report = GradientCheck.run(inputs: [a, b], epsilon: 1e-3) { _, v in v[0].pairwiseDistance(v[1]) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// Identical rows give distance 0; the gradient there must be finite (0), not NaN,
    /// and the remaining entries still differentiate correctly.
    func testPairwiseDistance_zeroDistanceHasSafeGradient() {
        let a = randomTensor([1, 3, 4], seed: 3)
        let g = Graph()
        let va = g.input(a, requiresGrad: true)
        let vb = g.input(a, requiresGrad: true)
        let d = va.pairwiseDistance(vb)
        for i in 0..<3 { XCTAssertEqual(d.value[i * 3 + i], 0, accuracy: 1e-3) }
        g.backward(d.sum())
        XCTAssertTrue(g.grad(of: va)!.array.allSatisfy { $0.isFinite })
        XCTAssertTrue(g.grad(of: vb)!.array.allSatisfy { $0.isFinite })
    }

    func testL2Normalized_unitRowsAndGradients() {
        let x = randomTensor([3, 6], seed: 4)
        let y = evaluate([x]) { $0[0].l2Normalized() }
        for r in 0..<3 {
            var s: Float = 0
            for k in 0..<6 { s += y[r * 6 + k] * y[r * 6 + k] }
            XCTAssertEqual(s, 1, accuracy: 1e-5)
        }
        XCTAssertTrue(GradientCheck.run(inputs: [x], epsilon: 1e-3) { _, v in v[0].l2Normalized() }.passed)
        // A zero row stays zero (divided by eps) and its gradient is dy / eps.
        let zero = Tensor(zeros: [1, 3])
        XCTAssertEqual(evaluate([zero]) { $0[0].l2Normalized(eps: 1e-2) }.array, [0, 0, 0])
        XCTAssertTrue(GradientCheck.run(inputs: [zero], epsilon: 1e-4) { _, v in v[0].l2Normalized(eps: 1e-2) }.passed)
    }
}
