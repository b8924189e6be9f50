import TestSupport
import XCTest
@testable import Autograd

final class LayerNormTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { offset + rng.uniform(-scale, scale) }
    }

    func testLayerNorm_matchesPyTorchValues() {
        // torch.nn.functional.layer_norm(torch.tensor([1., 2, 3, 4]), (4,), eps=0):
        // biased variance 1.25, so (x - 2.5) / √1.25.
        let g = Graph()
        let x = g.input(Tensor(shape: [4], values: [1, 2, 3, 4]))
        let y = x.layerNorm(weight: g.input(Tensor(shape: [4], values: [1, 1, 1, 1])),
                            bias: g.input(Tensor(zeros: [4])), eps: 0)
        for (a, b) in zip(y.value.array, [-1.3416408, -0.4472136, 0.4472136, 1.3416408] as [Float]) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
    }

    /// Rows far from zero (offset 50) check that the variance does not cancel; 2 threads check
    /// the per-block weight and bias sums.
    func testLayerNorm_matchesReferenceKernel_onOffsetRows() {
        let (m, d) = (9, 13)
        let x = random([3, 3, d], seed: 1, scale: 2, offset: 50)
        let w = random([d], seed: 2), b = random([d], seed: 3), dy = random([3, 3, d], seed: 4)
        let g = Graph(compute: ComputePool(threads: 2))
        let vx = g.input(x, requiresGrad: true), vw = g.input(w, requiresGrad: true)
        let vb = g.input(b, requiresGrad: true)
        let y = vx.layerNorm(weight: vw, bias: vb, eps: 1e-6)
        g.backward(y, seedGradient: dy)

        let yRef = Tensor(zeros: x.shape), dx = Tensor(zeros: x.shape)
        let dw = Tensor(zeros: [d]), db = Tensor(zeros: [d])
        LayerNormKernel.forwardReference(y: yRef.data, x: x.data, weight: w.data, bias: b.data,
                                         rows: m, features: d, eps: 1e-6)
        LayerNormKernel.backwardReference(dx: dx.data, dweight: dw.data, dbias: db.data, dy: dy.data,
                                          x: x.data, weight: w.data, rows: m, features: d, eps: 1e-6)
        assertClose(y.value, yRef, tolerance: 1e-4, "y")
        assertClose(g.grad(of: vx)!, dx, tolerance: 1e-4, "dx")
        assertClose(g.grad(of: vw)!, dw, tolerance: 1e-4, "dweight")
        assertClose(g.grad(of: vb)!, db, tolerance: 1e-5, "dbias")
    }

    func testLayerNorm_3D_gradientMatchesFiniteDifferences() {
        let inputs = [random([2, 3, 6], seed: 5), random([6], seed: 6, scale: 0.5, offset: 1), random([6], seed: 7)]
        let report = GradientCheck.run(inputs: inputs) { _, v in v[0].layerNorm(weight: v[1], bias: v[2], eps: 1e-5) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testLayerNorm_singleRowOddWidth_gradientMatchesFiniteDifferences() {
        let inputs = [random([1, 7], seed: 8, scale: 2), random([7], seed: 9), random([7], seed: 10)]
        let report = GradientCheck.run(inputs: inputs) { _, v in v[0].layerNorm(weight: v[1], bias: v[2], eps: 1e-6) }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
