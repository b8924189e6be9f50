import TestSupport
import XCTest
@testable import Autograd

final class ShapeTests: XCTestCase {
    func testPermute_movesElementsAndBackwardInverts() {
        let x = randomTensor([2, 3, 4], seed: 1)
        let y = evaluate([x]) { $0[0].permuted([2, 0, 1]) }
        XCTAssertEqual(y.shape, [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            XCTAssertEqual(y[(k * 2 + i) * 3 + j], x[(i * 3 + j) * 4 + k])
        } } }
        for order in [[2, 0, 1], [1, 0, 2], [0, 2, 1], [0, 1, 2]] {
            let report = GradientCheck.run(inputs: [x]) { _, v in v[0].permuted(order) }
            XCTAssertTrue(report.passed, "\(order): \(report)")
        }
        let report = GradientCheck.run(inputs: [x]) { _, v in v[0].transposed(-1, -2) }
        XCTAssertTrue(report.passed, "transpose: \(report)")
    }

    func testReshape_inferredDimension() {
        let x = randomTensor([2, 6], seed: 2)
        let y = evaluate([x]) { $0[0].reshaped([3, -1]) }
        XCTAssertEqual(y.shape, [3, 4])
        XCTAssertEqual(y.array, x.array)
        XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].reshaped([4, 3]) * v[0].reshaped([4, 3]) }.passed)
    }

    func testConcatSplitSlice_roundTripAndGradients() {
        let a = randomTensor([2, 3, 4], seed: 3), b = randomTensor([2, 1, 4], seed: 4)
        let joined = evaluate([a, b]) { Variable.concat($0, axis: 1) }
        XCTAssertEqual(joined.shape, [2, 4, 4])
        XCTAssertEqual(joined[(1 * 4 + 3) * 4 + 2], b[1 * 4 + 2])
        XCTAssertEqual(joined[(1 * 4 + 2) * 4 + 2], a[(1 * 3 + 2) * 4 + 2])
        let back = evaluate([a, b]) { Variable.concat($0, axis: 1).split(axis: 1, sizes: [3, 1])[0] }
        XCTAssertEqual(back.array, a.array)
        for axis in [0, 2, -1] {
            let report = GradientCheck.run(inputs: [a, a]) { _, v in Variable.concat(v, axis: axis) }
            XCTAssertTrue(report.passed, "concat axis \(axis): \(report)")
        }
        let report = GradientCheck.run(inputs: [a]) { _, v in
            let parts = v[0].split(axis: 2, sizes: [1, 3])
            return parts[0] * parts[1].slice(axis: 2, 1..<2)
        }
        XCTAssertTrue(report.passed, "split/slice: \(report)")
    }
}
