import TestSupport
import XCTest
@testable import Autograd

final class Conv2dTests: XCTestCase {
    /// (input, weight, stride, padding) covering the shapes the model uses and the odd ones.
    static let cases: [(String, [Int], [Int], Int, Int)] = [
        ("3x3 s1 p1", [2, 3, 6, 5], [4, 3, 3, 3], 1, 1),
        ("3x3 s2 p1 odd size", [3, 2, 7, 9], [5, 2, 3, 3], 2, 1),
        ("3x3 s2 p0 odd size", [2, 3, 7, 7], [2, 3, 3, 3], 2, 0),
        ("2x3 non-square s1 p1", [2, 2, 5, 6], [3, 2, 2, 3], 1, 1),
        ("3x2 non-square s2 p1", [3, 3, 6, 7], [2, 3, 3, 2], 2, 1),
        ("1x1 s1", [3, 4, 5, 5], [6, 4, 1, 1], 1, 0),
        ("1x1 s2 odd size", [3, 4, 7, 5], [3, 4, 1, 1], 2, 0),
        ("1x1 s1 p1", [2, 2, 3, 4], [3, 2, 1, 1], 1, 1),
        ("5x5 s3 p2", [2, 2, 8, 9], [3, 2, 5, 5], 3, 2),
    ]

    // MARK: - Fast kernel against the reference

    func testGEMMKernel_matchesReference_forAllTilings() {
        for (k, (name, xs, ws, s, p)) in Self.cases.enumerated() {
            let geo = ConvGeometry(input: xs, weight: ws, stride: s, padding: p)
            let x = randomTensor(xs, seed: UInt64(10 + k)), w = randomTensor(ws, seed: UInt64(20 + k))
            let b = randomTensor([ws[0]], seed: UInt64(30 + k)), dy = randomTensor(geo.outputShape, seed: UInt64(40 + k))

            let refOut = Tensor(zeros: geo.outputShape)
            ConvReference.forward(geo, x: x.data, weight: w.data, bias: b.data, out: refOut.data)
            let (refDx, refDw, refDb) = (Tensor(zeros: xs), Tensor(zeros: ws), Tensor(zeros: [ws[0]]))
            ConvReference.backward(geo, x: x.data, weight: w.data, dOut: dy.data, dx: refDx.data,
                                   dWeight: refDw.data, dBias: refDb.data)

            // Target widths giving one image per tile, uneven tiles, and the whole batch at once.
            for width in [1, geo.outPlane + 1, 1 << 20] {
                let plan = ConvGEMM.Plan(geo, targetWidth: width)
                let label = "\(name), \(plan.imagesPerTile) image(s) per tile"
                let workspace = Tensor(zeros: [plan.workspaceCount])
                let out = Tensor(zeros: geo.outputShape)
                ConvGEMM.forward(plan, x: x.data, weight: w.data, bias: b.data, out: out.data,
                                 workspace: workspace.data, compute: ComputePool(threads: 2))
                assertClose(out, refOut, label + " forward")

                // Gradients add: start from ones and subtract them afterwards.
                let (dx, dw, db) = (Tensor(zeros: xs), Tensor(zeros: ws), Tensor(zeros: [ws[0]]))
                for t in [dx, dw, db] { t.data.update(repeating: 1, count: t.count) }
                ConvGEMM.backward(plan, x: x.data, weight: w.data, dOut: dy.data, dx: dx.data,
                                  dWeight: dw.data, dBias: db.data, workspace: workspace.data,
                                  compute: ComputePool(threads: 2))
                for t in [dx, dw, db] { for i in 0..<t.count { t.data[i] -= 1 } }
                assertClose(dx, refDx, label + " dx")
                assertClose(dw, refDw, label + " dweight")
                assertClose(db, refDb, label + " dbias")
            }
        }
    }

    func testGEMMKernel_withoutBias_andWithoutInputGradient() {
        let geo = ConvGeometry(input: [4, 3, 6, 6], weight: [5, 3, 3, 3], stride: 1, padding: 1)
        let x = randomTensor([4, 3, 6, 6], seed: 1), w = randomTensor([5, 3, 3, 3], seed: 2)
        let dy = randomTensor(geo.outputShape, seed: 3)
        let refOut = Tensor(zeros: geo.outputShape), refDw = Tensor(zeros: [5, 3, 3, 3])
        ConvReference.forward(geo, x: x.data, weight: w.data, bias: nil, out: refOut.data)
        ConvReference.backward(geo, x: x.data, weight: w.data, dOut: dy.data, dx: nil, dWeight: refDw.data, dBias: nil)
        for width in [1, 80] {
            let plan = ConvGEMM.Plan(geo, targetWidth: width)
            let workspace = Tensor(zeros: [plan.workspaceCount])
            let out = Tensor(zeros: geo.outputShape), dw = Tensor(zeros: [5, 3, 3, 3])
            ConvGEMM.forward(plan, x: x.data, weight: w.data, bias: nil, out: out.data,
                             workspace: workspace.data, compute: ComputePool(threads: 2))
            ConvGEMM.backward(plan, x: x.data, weight: w.data, dOut: dy.data, dx: nil, dWeight: dw.data,
                              dBias: nil, workspace: workspace.data, compute: ComputePool(threads: 2))
            assertClose(out, refOut, "forward, width \(width)")
            assertClose(dw, refDw, "dweight, width \(width)")
        }
    }

    func testConvReference_handComputedValue() {
        // One 3x3 image of 1…9, a 2x2 kernel of ones, stride 1, no padding: sums of 2x2 windows.
        let geo = ConvGeometry(input: [1, 1, 3, 3], weight: [1, 1, 2, 2], stride: 1, padding: 0)
        let x = Tensor(shape: [1, 1, 3, 3], values: (1...9).map(Float.init))
        let w = Tensor(shape: [1, 1, 2, 2], values: [1, 1, 1, 1])
        let out = Tensor(zeros: geo.outputShape)
        ConvReference.forward(geo, x: x.data, weight: w.data, bias: nil, out: out.data)
        XCTAssertEqual(out.array, [12, 16, 24, 28])
    }

    // MARK: - The op on the tape

    func testConv2d_gradientsMatchFiniteDifferences() {
        for (k, (name, xs, ws, s, p)) in Self.cases.enumerated() {
            let x = randomTensor(xs, seed: UInt64(50 + k)), w = randomTensor(ws, seed: UInt64(60 + k))
            let b = randomTensor([ws[0]], seed: UInt64(70 + k))
            let report = GradientCheck.run(inputs: [x, w, b]) { _, v in
                v[0].conv2d(weight: v[1], bias: v[2], stride: s, padding: p)
            }
            XCTAssertTrue(report.passed, "\(name): \(report)")
            let noBias = GradientCheck.run(inputs: [x, w]) { _, v in
                v[0].conv2d(weight: v[1], bias: nil, stride: s, padding: p)
            }
            XCTAssertTrue(noBias.passed, "\(name) without bias: \(noBias)")
        }
    }

    func testConv2d_outputShape() {
        let g = Graph()
        let x = g.input(Tensor(zeros: [2, 3, 7, 9]))
        let w = g.input(Tensor(zeros: [4, 3, 3, 3]))
        XCTAssertEqual(x.conv2d(weight: w, bias: nil, stride: 2, padding: 1).shape, [2, 4, 4, 5])
        XCTAssertEqual(x.conv2d(weight: w, bias: nil).shape, [2, 4, 5, 7])
    }

    func testConv2d_imageWithoutGradient_stillGivesWeightGradient() {
        let x = randomTensor([2, 3, 5, 5], seed: 5), w = randomTensor([4, 3, 3, 3], seed: 6), dy = randomTensor([2, 4, 5, 5], seed: 7)
        let g = Graph()
        let image = g.input(x), weight = g.input(w, requiresGrad: true)
        let y = image.conv2d(weight: weight, bias: nil, padding: 1)
        g.backward(y, seedGradient: dy)
        XCTAssertNil(g.grad(of: image))
        let geo = ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)
        let ref = Tensor(zeros: w.shape)
        ConvReference.backward(geo, x: x.data, weight: w.data, dOut: dy.data, dx: nil, dWeight: ref.data, dBias: nil)
        assertClose(g.grad(of: weight)!, ref, "dweight")
    }

    func testConv2d_memoryStaysFlatAcrossSteps() {
        let pool = BufferPool()
        let x = randomTensor([6, 8, 12, 12], seed: 8), w = randomTensor([8, 8, 3, 3], seed: 9)
        var reserved: [Int] = []
        for _ in 0..<3 {
            let g = Graph(pool: pool)
            let weight = g.input(w, requiresGrad: true)
            let y = g.input(x, requiresGrad: true).conv2d(weight: weight, bias: nil, stride: 1, padding: 1)
            g.backward(y)
            g.reset()
            reserved.append(pool.bytesReserved)
        }
        XCTAssertEqual(reserved[1], reserved[0])
        XCTAssertEqual(reserved[2], reserved[0])
    }

    // MARK: - Helpers

    /// |a − b| ≤ 1e-4 · max(1, max |b|) elementwise: a relative tolerance on the tensor's scale.
    private func assertClose(_ a: Tensor, _ b: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, label, file: file, line: line)
        let scale = max(1, b.array.map(abs).max() ?? 0)
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[i] - b[i])) }
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale, label, file: file, line: line)
    }
}
