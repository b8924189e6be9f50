import TestSupport
import XCTest
@testable import Autograd

final class MatmulTests: XCTestCase {
    /// Plain triple loop: the reference for every transpose combination.
    func naive(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> [Float] {
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let n = tb ? b.shape[0] : b.shape[1]
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]) }
            out[i * n + j] = s
        } }
        return out
    }

    func testAllTransposeCombinations_matchNaiveAndFiniteDifferences() {
        for ta in [false, true] { for tb in [false, true] {
            let a = randomTensor(ta ? [4, 3] : [3, 4], seed: 1)
            let b = randomTensor(tb ? [5, 4] : [4, 5], seed: 2)
            let out = evaluate([a, b]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
            XCTAssertEqual(out.shape, [3, 5])
            for (x, y) in zip(out.array, naive(a, b, ta, tb)) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            let report = GradientCheck.run(inputs: [a, b]) { _, v in v[0].matmul(v[1], transposeA: ta, transposeB: tb) }
            XCTAssertTrue(report.passed, "ta \(ta) tb \(tb): \(report)")
        } }
    }

    func testBatched_eachEntryIndependent() {
        for ta in [false, true] { for tb in [false, true] {
            let a = randomTensor([2, 4, 4], seed: 3), b = randomTensor([2, 4, 4], seed: 4)
            let out = evaluate([a, b]) { $0[0].matmul($0[1], transposeA: ta, transposeB: tb) }
            for i in 0..<2 {
                let ai = Tensor(shape: [a.shape[1], a.shape[2]], storage: a.storage, offset: i * 16)
                let bi = Tensor(shape: [4, 4], storage: b.storage, offset: i * 16)
                let expected = naive(ai, bi, ta, tb)
                let rows = 4
                for j in 0..<(rows * 4) { XCTAssertEqual(out[i * rows * 4 + j], expected[j], accuracy: 1e-5) }
            }
            let report = GradientCheck.run(inputs: [a, b]) { _, v in v[0].matmul(v[1], transposeA: ta, transposeB: tb) }
            XCTAssertTrue(report.passed, "batched ta \(ta) tb \(tb): \(report)")
        } }
    }

    func testSharedRightOperand_broadcastsOverBatch() {
        for ta in [false, true] { for tb in [false, true] {
            let a = randomTensor([2, 3, 3], seed: 5), b = randomTensor([3, 2], seed: 6)
            let bt = tb ? randomTensor([2, 3], seed: 6) : b
            let report = GradientCheck.run(inputs: [a, bt]) { _, v in v[0].matmul(v[1], transposeA: ta, transposeB: tb) }
            XCTAssertTrue(report.passed, "shared ta \(ta) tb \(tb): \(report)")
        } }
    }
}
