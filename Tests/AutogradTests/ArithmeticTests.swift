import TestSupport
import XCTest
@testable import Autograd

final class ArithmeticTests: XCTestCase {
    let shapes: [([Int], [Int])] = [
        ([2, 3, 4], [2, 3, 4]),   // identity
        ([2, 3, 4], []),          // scalar
        ([2, 3, 4], [3, 4]),      // tile (position embedding)
        ([2, 3, 4], [1, 1, 4]),   // tile (bias)
        ([2, 3, 4], [2, 3, 1]),   // expand (per-row weight)
        ([2, 3, 4], [2, 1, 4]),   // general table
        ([3, 1], [1, 4]),         // both broadcast
    ]

    func testBroadcastOps_gradientsMatchFiniteDifferences() {
        for (sa, sb) in shapes {
            let a = randomTensor(sa, seed: 1)
            // Keep divisors away from 0.
            let b = Tensor(shape: sb, values: randomTensor(sb, seed: 2).array.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 })
            for (name, op) in [("+", { (x: Variable, y: Variable) in x + y }), ("-", { $0 - $1 }),
                               ("*", { $0 * $1 }), ("/", { $0 / $1 })] {
                let report = GradientCheck.run(inputs: [a, b]) { _, v in op(v[0], v[1]) }
                XCTAssertTrue(report.passed, "\(sa) \(name) \(sb): \(report)")
            }
        }
    }

    func testBroadcastForward_matchesExplicitIndexing() {
        let a = randomTensor([2, 3, 4], seed: 3), b = randomTensor([2, 1, 4], seed: 4)
        let out = evaluate([a, b]) { $0[0] * $0[1] }
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            XCTAssertEqual(out[(i * 3 + j) * 4 + k], a[(i * 3 + j) * 4 + k] * b[i * 4 + k])
        } } }
    }

    func testScalarOps() {
        let a = randomTensor([5], seed: 5)
        let out = evaluate([a]) { ($0[0] * 3 + 1).scaled(by: -1) }
        for i in 0..<5 { XCTAssertEqual(out[i], -(a[i] * 3 + 1), accuracy: 1e-6) }
        let report = GradientCheck.run(inputs: [a]) { _, v in -(v[0] * 2 + 0.5) }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
