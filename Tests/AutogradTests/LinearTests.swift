import TestSupport
import XCTest
@testable import Autograd

final class LinearTests: XCTestCase {
    func testLinear_3DInputWithBias_matchesReferenceKernel() {
        let (b, t, i, o) = (2, 3, 5, 4)
        let x = randomTensor([b, t, i], seed: 1), w = randomTensor([o, i], seed: 2), bias = randomTensor([o], seed: 3)
        let dy = randomTensor([b, t, o], seed: 4)
        let g = Graph(compute: ComputePool(threads: 2))
        let vx = g.input(x, requiresGrad: true), vw = g.input(w, requiresGrad: true)
        let vb = g.input(bias, requiresGrad: true)
        let y = vx.linear(weight: vw, bias: vb)
        XCTAssertEqual(y.shape, [b, t, o])
        g.backward(y, seedGradient: dy)

        let yRef = Tensor(zeros: [b, t, o])
        let dx = Tensor(zeros: x.shape), dw = Tensor(zeros: w.shape), db = Tensor(zeros: bias.shape)
        LinearKernel.forwardReference(y: yRef.data, x: x.data, w: w.data, b: bias.data,
                                      rows: b * t, inFeatures: i, outFeatures: o)
        LinearKernel.backwardReference(dx: dx.data, dw: dw.data, db: db.data, dy: dy.data, x: x.data, w: w.data,
                                       rows: b * t, inFeatures: i, outFeatures: o)
        assertClose(y.value, yRef, tolerance: 1e-5, "y")
        assertClose(g.grad(of: vx)!, dx, tolerance: 1e-5, "dx")
        assertClose(g.grad(of: vw)!, dw, tolerance: 1e-5, "dw")
        assertClose(g.grad(of: vb)!, db, tolerance: 1e-5, "db")
    }

    func testLinear_3DInputWithBias_gradientMatchesFiniteDifferences() {
        let inputs = [randomTensor([2, 3, 5], seed: 5), randomTensor([4, 5], seed: 6), randomTensor([4], seed: 7)]
        let report = GradientCheck.run(inputs: inputs) { _, v in v[0].linear(weight: v[1], bias: v[2]) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testLinear_2DInputWithoutBias_gradientMatchesFiniteDifferences() {
        let inputs = [randomTensor([7, 3], seed: 8), randomTensor([6, 3], seed: 9)]
        let report = GradientCheck.run(inputs: inputs) { _, v in v[0].linear(weight: v[1], bias: nil) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testLinear_1DInput_givesOneRow() {
        let g = Graph()
        let x = g.input(Tensor(shape: [2], values: [1, 2]))
        let w = g.input(Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, 1]))
        let b = g.input(Tensor(shape: [3], values: [10, 20, 30]))
        let y = x.linear(weight: w, bias: b)
        XCTAssertEqual(y.shape, [3])
        XCTAssertEqual(y.value.array, [11, 22, 33])
    }

    /// Parameter gradients land in the store's flat buffer on top of what is already there,
    /// and an input that needs no gradient gets none.
    func testLinear_addsIntoParameterGradients_andSkipsConstantInput() {
        var layout = ParameterLayout()
        let pw = layout.parameter("fc.weight", [3, 4], .uniform(bound: 1))
        let pb = layout.parameter("fc.bias", [3], .uniform(bound: 1))
        let store = ParameterStore(layout: layout, seed: 11)
        store.gradients.data.update(repeating: 1, count: store.gradients.count)
        let x = randomTensor([5, 4], seed: 12), dy = randomTensor([5, 3], seed: 13)
        let g = Graph(parameters: store)
        let vx = g.input(x)
        let y = vx.linear(weight: g.param(pw), bias: g.param(pb))
        g.backward(y, seedGradient: dy)
        XCTAssertNil(g.grad(of: vx))

        let dw = Tensor(zeros: [3, 4]), db = Tensor(zeros: [3])
        LinearKernel.backwardReference(dx: nil, dw: dw.data, db: db.data, dy: dy.data, x: x.data,
                                       w: store.value(pw).data, rows: 5, inFeatures: 4, outFeatures: 3)
        assertClose(store.gradient(pw), Tensor(shape: [3, 4], values: dw.array.map { $0 + 1 }),
                    tolerance: 1e-5, "dw")
        assertClose(store.gradient(pb), Tensor(shape: [3], values: db.array.map { $0 + 1 }),
                    tolerance: 1e-5, "db")
    }
}
