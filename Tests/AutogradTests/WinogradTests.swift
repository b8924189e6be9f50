import TestSupport
import XCTest
@testable import Autograd

final class WinogradTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { rng.uniform(-1, 1) }
    }

    /// Both tile sizes; even and odd sizes (partial edge tiles of every width), padding 0, 1
    /// and 2, C ≠ O, several tilings.
    func testMatchesReference_forwardAndBackward() {
        let cases: [([Int], [Int], Int)] = [
            ([2, 3, 6, 6], [4, 3, 3, 3], 1),
            ([3, 2, 7, 5], [3, 2, 3, 3], 1),
            ([2, 4, 5, 8], [2, 4, 3, 3], 0),
            ([3, 3, 4, 5], [5, 3, 3, 3], 2),
            ([1, 2, 3, 3], [2, 2, 3, 3], 0),
            ([2, 5, 14, 13], [3, 5, 3, 3], 1),
            ([1, 3, 9, 11], [2, 3, 3, 3], 1),
            ([2, 2, 10, 7], [3, 2, 3, 3], 0),
            ([3, 2, 23, 19], [3, 2, 3, 3], 1),  // 30 tiles an image: whole vectors and a part
            ([1, 64, 14, 14], [8, 64, 3, 3], 1),  // a real channel count: F(4x4)'s error grows with C
        ]
        for (k, (xs, ws, p)) in cases.enumerated() {
            let geo = ConvGeometry(input: xs, weight: ws, stride: 1, padding: p)
            let x = random(xs, seed: UInt64(k + 1)), w = random(ws, seed: UInt64(k + 11))
            let b = random([ws[0]], seed: UInt64(k + 21)), dy = random(geo.outputShape, seed: UInt64(k + 31))
            let refOut = Tensor(zeros: geo.outputShape)
            ConvReference.forward(geo, x: x.data, weight: w.data, bias: b.data, out: refOut.data)
            let (refDx, refDw, refDb) = (Tensor(zeros: xs), Tensor(zeros: ws), Tensor(zeros: [ws[0]]))
            ConvReference.backward(geo, x: x.data, weight: w.data, dOut: dy.data, dx: refDx.data,
                                   dWeight: refDw.data, dBias: refDb.data)
            for (tile, width) in [Winograd.Tile.f2x2, .f4x4].flatMap({ t in [1, 1 << 20].map { (t, $0) } }) {
                let plan = Winograd.Plan(geo, tile: tile, targetWidth: width)
                let label = "F(\(plan.m)x\(plan.m)) \(xs) pad \(p), \(plan.imagesPerTile) image(s) per tile"
                let workspace = Tensor(zeros: [plan.workspaceCount])
                let out = Tensor(zeros: geo.outputShape)
                Winograd.forward(plan, x: x.data, weight: w.data, bias: b.data, out: out.data,
                                 workspace: workspace.data, compute: ComputePool(threads: 2))
                assertClose(out, refOut, label + " forward")
                let (dx, dw, db) = (Tensor(zeros: xs), Tensor(zeros: ws), Tensor(zeros: [ws[0]]))
                for t in [dx, dw, db] { t.data.update(repeating: 1, count: t.count) }
                Winograd.backward(plan, x: x.data, weight: w.data, dOut: dy.data, dx: dx.data, dWeight: dw.data,
                                  dBias: db.data, workspace: workspace.data, compute: ComputePool(threads: 2))
                for t in [dx, dw, db] { for i in 0..<t.count { t.data[i] -= 1 } }
                assertClose(dx, refDx, label + " dx")
                assertClose(dw, refDw, label + " dweight")
                assertClose(db, refDb, label + " dbias")
            }
        }
    }

    func testConvKernel_picksWinogradOnlyFor3x3Stride1WithEnoughChannels() {
        func isWinograd(_ x: [Int], _ w: [Int], _ s: Int) -> Bool {
            if case .winograd = ConvKernel(ConvGeometry(input: x, weight: w, stride: s, padding: 1)) { return true }
            return false
        }
        XCTAssertTrue(isWinograd([2, 64, 8, 8], [64, 64, 3, 3], 1))
        XCTAssertFalse(isWinograd([2, 64, 8, 8], [64, 64, 3, 3], 2))
        XCTAssertFalse(isWinograd([2, 3, 8, 8], [64, 3, 3, 3], 1))
        XCTAssertFalse(isWinograd([2, 64, 8, 8], [64, 64, 1, 1], 1))
    }

    /// The op end to end on the Winograd path (odd size, C ≠ O, bias), by finite differences.
    func testConv2dOp_onWinogradPath_gradientsMatchFiniteDifferences() {
        let x = random([2, 16, 5, 4], seed: 41), w = random([3, 16, 3, 3], seed: 42), b = random([3], seed: 43)
        let report = GradientCheck.run(inputs: [x, w, b]) { _, v in
            v[0].conv2d(weight: v[1], bias: v[2], stride: 1, padding: 1)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// |a − b| ≤ 1e-4 · max(1, max |b|) elementwise.
    private func assertClose(_ a: Tensor, _ b: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, label, file: file, line: line)
        let scale = max(1, b.array.map(abs).max() ?? 0)
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[i] - b[i])) }
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale, label, file: file, line: line)
    }
}
