import TestSupport
import XCTest
@testable import Autograd

final class PReLUTests: XCTestCase {
    /// Values in ±[0.1, 2]: both sides of the kink, never close enough for ±ε to cross it.
    private func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) {
            let v = rng.uniform(0.1, 2)
            return rng.nextUniform() < 0.5 ? -v : v
        }
    }

    func testForward_perChannelSlopes() {
        let g = Graph()
        let x = g.input(Tensor(shape: [1, 2, 2], values: [-2, 3, -4, 5]))
        let a = g.input(Tensor(shape: [2], values: [0.25, 0.5]))
        XCTAssertEqual(x.prelu(slopes: a).value.array, [-0.5, 3, -2, 5])
    }

    func testGradients_matchFiniteDifferences_rank2And4() {
        for shape in [[3, 4], [2, 3, 4, 5], [2, 3, 5]] {
            let x = awayFromZero(shape, seed: 1)
            let a = Tensor(shape: [shape[1]]) { 0.25 }
            let report = GradientCheck.run(inputs: [x, a]) { _, v in v[0].prelu(slopes: v[1]) }
            XCTAssertTrue(report.passed, "\(shape): \(report)")
        }
    }

    func testGradients_sharedSlope() {
        let x = awayFromZero([2, 3, 4], seed: 2)
        let report = GradientCheck.run(inputs: [x, Tensor(shape: [1], values: [0.3])]) { _, v in
            v[0].prelu(slopes: v[1])
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testSlopeGradient_handComputed() {
        // dL/da_c = Σ dy·x over the negative x of channel c.
        let g = Graph()
        let x = g.input(Tensor(shape: [2, 2, 1], values: [-1, 2, -3, -4]), requiresGrad: true)
        let a = g.input(Tensor(shape: [2], values: [0.1, 0.2]), requiresGrad: true)
        g.backward(x.prelu(slopes: a))
        XCTAssertEqual(g.grad(of: a)!.array, [-4, -4])
        XCTAssertEqual(g.grad(of: x)!.array, [0.1, 1, 0.1, 0.2].map { Float($0) })
    }
}
