import TestSupport
import XCTest
import Foundation
@testable import Autograd

final class ActivationTests: XCTestCase {
    func testReLU_gradientMatchesFiniteDifferences() {
        // Keep values away from the kink at 0, where the finite difference is meaningless.
        var x = randomTensor([3, 5], seed: 1, scale: 2)
        x = Tensor(shape: x.shape, values: x.array.map { abs($0) < 0.05 ? 0.5 : $0 })
        let report = GradientCheck.run(inputs: [x]) { _, v in v[0].relu() }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testSigmoidTanhGELU_gradientsMatchFiniteDifferences() {
        let x = randomTensor([4, 7], seed: 2, scale: 3)
        for (name, op) in [("sigmoid", { (v: Variable) in v.sigmoid() }),
                           ("tanh", { (v: Variable) in v.tanh() }),
                           ("gelu", { (v: Variable) in v.gelu() })] {
            let report = GradientCheck.run(inputs: [x]) { _, v in op(v[0]) }
            XCTAssertTrue(report.passed, "\(name): \(report)")
        }
    }

    func testGELU_matchesErfFormula() {
        let x = Tensor(shape: [3], values: [-1, 0, 2])
        let g = Graph()
        let y = g.input(x).gelu()
        // x·Φ(x) at -1, 0, 2 (Φ from erf in double precision).
        XCTAssertEqual(y.value[0], -0.15865525, accuracy: 1e-6)
        XCTAssertEqual(y.value[1], 0, accuracy: 1e-7)
        XCTAssertEqual(y.value[2], 1.9544997, accuracy: 1e-6)
    }
}

final class GELUKernelTests: XCTestCase {
    /// The polynomial Φ against libm's erf over the range activations take.
    func testCDF_matchesErfToFloatPrecision() {
        var worst: Double = 0
        var x = -12.0
        while x <= 12 {
            let exact = 0.5 * (1 + erf(x / 2.0.squareRoot()))
            let (cdf, pdf) = GELUKernel.cdfAndDensity(Float(x))
            worst = max(worst, abs(Double(cdf) - exact))
            XCTAssertEqual(Double(pdf), exp(-x * x / 2) / (2 * Double.pi).squareRoot(), accuracy: 1e-7)
            x += 0.01
        }
        XCTAssertLessThan(worst, 3e-7)
    }
}
