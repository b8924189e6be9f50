import TestSupport
import XCTest
@testable import Autograd

final class ResampleTests: XCTestCase {
    /// A [1, 1, H, W] image whose pixel (i, j) holds 10·i + j.
    private func grid(_ h: Int, _ w: Int) -> Tensor {
        Tensor(shape: [1, 1, h, w], values: (0..<h).flatMap { i in (0..<w).map { Float(10 * i + $0) } })
    }

    func testNearestDownsample_floorsOddSizes() {
        let g = Graph()
        let y = g.input(grid(5, 7)).nearestDownsample(factor: 2)
        XCTAssertEqual(y.shape, [1, 1, 2, 3])
        XCTAssertEqual(y.value.array, [0, 2, 4, 20, 22, 24])
        XCTAssertEqual(g.input(grid(7, 8)).nearestDownsample(factor: 3).value.array, [0, 3, 30, 33])
    }

    func testSubsample_ceilsOddSizes() {
        let g = Graph()
        let y = g.input(grid(5, 7)).subsample(stride: 2)
        XCTAssertEqual(y.shape, [1, 1, 3, 4])
        XCTAssertEqual(y.value.array, [0, 2, 4, 6, 20, 22, 24, 26, 40, 42, 44, 46])
        XCTAssertEqual(g.input(grid(4, 4)).subsample(stride: 1).value.array, grid(4, 4).array)
    }

    func testGradients_matchFiniteDifferences() {
        var rng = SeededRNG(seed: 3)
        let x = Tensor(shape: [2, 3, 5, 7]) { rng.uniform(-1, 1) }
        for f in [1, 2, 3] {
            let down = GradientCheck.run(inputs: [x]) { _, v in v[0].nearestDownsample(factor: f) }
            XCTAssertTrue(down.passed, "downsample \(f): \(down)")
            let sub = GradientCheck.run(inputs: [x]) { _, v in v[0].subsample(stride: f) }
            XCTAssertTrue(sub.passed, "subsample \(f): \(sub)")
        }
    }

    func testBackward_addsOnlyIntoPickedPixels() {
        let g = Graph()
        let x = g.input(Tensor(zeros: [1, 1, 3, 3]), requiresGrad: true)
        g.backward(x.subsample(stride: 2))
        XCTAssertEqual(g.grad(of: x)!.array, [1, 0, 1, 0, 0, 0, 1, 0, 1])
    }
}
