import TestSupport
import XCTest
@testable import Autograd

/// `linearGELU`, the MLP's fc1 and GELU as one op, against the two ops it replaces.
final class LinearGELUTests: XCTestCase {
    private let x = randomTensor([3, 5, 24], seed: 1, scale: 2)
    private let w = randomTensor([40, 24], seed: 2, scale: 0.4), b = randomTensor([40], seed: 3)
    private let w2 = randomTensor([40, 24], seed: 4, scale: 0.4), b2 = randomTensor([40], seed: 5)
    private let dy = randomTensor([3, 5, 40], seed: 6)

    /// Output and every gradient as `linear` then `gelu` give them, at one and two threads, with
    /// the input's gradient arriving first (stored) or after another op's (added).
    func testMatchesLinearThenGELU_forwardAndGradients() {
        for threads in [1, 2] {
            for fusedFirst in [true, false] {
                let fused = run(threads: threads, fused: true, fusedFirst: fusedFirst)
                let apart = run(threads: threads, fused: false, fusedFirst: fusedFirst)
                for (name, (a, b)) in zip(["output", "dx", "dw", "db", "dw2", "db2"], zip(fused, apart)) {
                    XCTAssertFalse(a.array.contains { !$0.isFinite }, "\(name) not finite")
                    let scale = max(1, b.array.map(abs).max() ?? 1)
                    assertClose(a, b, tolerance: 1e-5 * scale, "\(name), \(threads) threads, fused op recorded \(fusedFirst ? "first" : "second")")
                }
            }
        }
    }

    /// The same sums at any thread count: the bias gradient adds the rows in order.
    func testBiasGradient_isTheSameBitsAtOneAndTwoThreads() {
        let one = run(threads: 1, fused: true, fusedFirst: true), two = run(threads: 2, fused: true, fusedFirst: true)
        XCTAssertEqual(one[3].array.map(\.bitPattern), two[3].array.map(\.bitPattern))
        XCTAssertEqual(one[0].array.map(\.bitPattern), two[0].array.map(\.bitPattern))
    }

    func testGradients_matchFiniteDifferences() {
        let small = randomTensor([2, 3, 6], seed: 7, scale: 2)
        let report = GradientCheck.run(inputs: [small, randomTensor([5, 6], seed: 8, scale: 0.5), randomTensor([5], seed: 9)],
                                       epsilon: 1e-3) { _, v in
            v[0].linearGELU(weight: v[1], bias: v[2])
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// In bfloat16 mode the fused op keeps what the two ops keep (the input and the
    /// pre-activation rounded to bfloat16): same values within the products' rounding.
    func testBFloat16Mode_matchesLinearThenGELU() {
        let fused = run(threads: 2, fused: true, fusedFirst: true, precision: .bfloat16(.avx2))
        let apart = run(threads: 2, fused: false, fusedFirst: true, precision: .bfloat16(.avx2))
        for (name, (a, b)) in zip(["output", "dx", "dw", "db", "dw2", "db2"], zip(fused, apart)) {
            XCTAssertFalse(a.array.contains { !$0.isFinite }, "\(name) not finite")
            let scale = b.array.map(abs).max() ?? 1
            assertClose(a, b, tolerance: 2e-2 * scale, "bfloat16 \(name)")
        }
    }

    /// y = f(x) + (x·w2ᵀ + b2) with f the fused op or linear-then-GELU; the order the two terms
    /// are recorded in decides which gradient reaches x first.
    private func run(threads: Int, fused: Bool, fusedFirst: Bool, precision: MatrixPrecision = .float32) -> [Tensor] {
        let g = Graph(compute: ComputePool(threads: threads), matrixPrecision: precision)
        let v = [x, w, b, w2, b2].map { g.input($0, requiresGrad: true) }
        func activated() -> Variable { fused ? v[0].linearGELU(weight: v[1], bias: v[2]) : v[0].linear(weight: v[1], bias: v[2]).gelu() }
        func plain() -> Variable { v[0].linear(weight: v[3], bias: v[4]) }
        let (first, second) = fusedFirst ? (activated(), plain()) : (plain(), activated())
        let active = fusedFirst ? first : second
        g.backward(first + second, seedGradient: dy)
        return [active.value.copy()] + v.map { g.grad(of: $0)!.copy() }
    }
}
