import TestSupport
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

    func testDropout_maskDoesNotDependOnThreadCount_oddLength() {
        let x = random([3, 3001], seed: 8)
        func run(threads: Int) -> [Float] {
            let g = Graph(compute: ComputePool(threads: threads), training: true)
            var rng = SeededRNG(seed: 9)
            return g.input(x).dropout(p: 0.25, rng: &rng).value.array
        }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
    }

    /// Element 2i uses the top 24 bits of draw i, element 2i+1 the next 24: the same test as
    /// `nextUniform() < 1 - p` on each half.
    func testDropout_maskFollowsDocumentedBitLayout() {
        let n = 7, p: Float = 0.5
        let g = Graph(training: true)
        var rng = SeededRNG(seed: 10)
        let y = g.input(Tensor(shape: [n]) { 1 }).dropout(p: p, rng: &rng).value.array
        var check = SeededRNG(seed: 10)
        var expected: [Float] = []
        while expected.count < n {
            let r = check.next()
            for bits in [r >> 40, (r >> 16) & 0xFF_FFFF] where expected.count < n {
                expected.append(Float(bits) / 16_777_216 < 1 - p ? 2 : 0)
            }
        }
        XCTAssertEqual(y, expected)
    }

    func testDropout_inTraining_gradientMatchesFiniteDifferences() {
        let report = GradientCheck.run(inputs: [random([3, 7], seed: 6)], training: true) { _, v in
            var rng = SeededRNG(seed: 7)
            return v[0].dropout(p: 0.4, rng: &rng)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
