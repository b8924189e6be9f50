import XCTest
@testable import Autograd

final class DropoutTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { rng.uniform(-1, 1) }
    }

    func testDropout_inEvaluation_isIdentityWithoutNode() {
        let g = Graph(training: false)
        let x = g.input(random([4, 5], seed: 1), requiresGrad: true)
        var rng = SeededRNG(seed: 2)
        let before = g.nodeCount
        let y = x.dropout(p: 0.5, rng: &rng)
        XCTAssertEqual(y.id, x.id)
        XCTAssertEqual(g.nodeCount, before)
    }

    func testDropout_withZeroProbability_isIdentityInTraining() {
        let g = Graph(training: true)
        let x = g.input(random([4, 5], seed: 1))
        var rng = SeededRNG(seed: 2)
        XCTAssertEqual(x.dropout(p: 0, rng: &rng).id, x.id)
    }

    func testDropout_inTraining_dropsAboutPAndScalesSurvivors() {
        let n = 20_000, p: Float = 0.3
        let g = Graph(training: true)
        let x = g.input(Tensor(shape: [n]) { 1 })
        var rng = SeededRNG(seed: 3)
        let y = x.dropout(p: p, rng: &rng).value.array
        let dropped = y.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / Double(n), Double(p), accuracy: 0.02)
        XCTAssertTrue(y.allSatisfy { $0 == 0 || abs($0 - 1 / (1 - p)) < 1e-6 })
    }

    func testDropout_sameSeedSameMask_advancingRNGDiffers() {
        let x = random([50], seed: 4)
        func run(_ rng: inout SeededRNG) -> [Float] {
            let g = Graph(training: true)
            return g.input(x).dropout(p: 0.5, rng: &rng).value.array
        }
        var a = SeededRNG(seed: 5), b = SeededRNG(seed: 5)
        let first = run(&a)
        XCTAssertEqual(first, run(&b))
        XCTAssertNotEqual(first, run(&a))
    }

    func testDropout_inTraining_gradientMatchesFiniteDifferences() {
        let report = GradientCheck.run(inputs: [random([3, 7], seed: 6)], training: true) { _, v in
            var rng = SeededRNG(seed: 7)
            return v[0].dropout(p: 0.4, rng: &rng)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
