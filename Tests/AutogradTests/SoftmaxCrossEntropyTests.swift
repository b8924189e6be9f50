import TestSupport
import XCTest
import Foundation
@testable import Autograd

final class SoftmaxCrossEntropyTests: XCTestCase {
    func testSoftmax_rowsSumToOneOnAnyAxis() {
        let x = randomTensor([2, 3, 4], seed: 1, scale: 3)
        for axis in [0, 1, 2] {
            let y = evaluate([x]) { $0[0].softmax(axis: axis) }
            let sums = evaluate([y]) { $0[0].sum(axes: [axis]) }
            for s in sums.array { XCTAssertEqual(s, 1, accuracy: 1e-5) }
            let ly = evaluate([x]) { $0[0].logSoftmax(axis: axis) }
            for (a, b) in zip(ly.array, y.array) { XCTAssertEqual(a, log(b), accuracy: 1e-5) }
            XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].softmax(axis: axis) }.passed, "softmax \(axis)")
            XCTAssertTrue(GradientCheck.run(inputs: [x]) { _, v in v[0].logSoftmax(axis: axis) }.passed, "log \(axis)")
        }
    }

    func testSoftmax_largeLogitsStayFinite() {
        let x = Tensor(shape: [1, 3], values: [1000, 1001, -1000])
        let y = evaluate([x]) { $0[0].softmax() }
        XCTAssertTrue(y.array.allSatisfy { $0.isFinite })
        XCTAssertEqual(y[1], Float(1 / (1 + exp(-1.0))), accuracy: 1e-6)
    }

    /// Hand-computed: logits [[0, ln 3]] → p = [1/4, 3/4]; label 1 → −ln(3/4).
    func testCrossEntropy_knownValues() {
        let x = Tensor(shape: [1, 2], values: [0, Float(log(3.0))])
        XCTAssertEqual(evaluate([x]) { $0[0].crossEntropy(labels: [1]) }[0], Float(-log(0.75)), accuracy: 1e-6)
        // Smoothing 0.2 over 2 classes: 0.9·(−ln ¾) + 0.1·(−ln ¼).
        let smooth = 0.9 * -log(0.75) + 0.1 * -log(0.25)
        XCTAssertEqual(evaluate([x]) { $0[0].crossEntropy(labels: [1], labelSmoothing: 0.2) }[0], Float(smooth), accuracy: 1e-6)
        // Weighted mean over two rows: (w1·l1 + w0·l0) / (w1 + w0).
        let two = Tensor(shape: [2, 2], values: [0, Float(log(3.0)), 0, Float(log(3.0))])
        let weighted = evaluate([two]) { $0[0].crossEntropy(labels: [1, 0], classWeights: [2, 1]) }[0]
        XCTAssertEqual(weighted, Float((1 * -log(0.75) + 2 * -log(0.25)) / 3), accuracy: 1e-6)
    }

    func testCrossEntropy_gradients() {
        let x = randomTensor([4, 5], seed: 2, scale: 2)
        let labels = [0, 3, 4, 3]
        for (smoothing, weights) in [(Float(0), nil), (0.1, nil), (0, [1, 2, 0.5, 1, 3]), (0.2, [1, 2, 0.5, 1, 3])] as [(Float, [Float]?)] {
            let report = GradientCheck.run(inputs: [x]) { _, v in
                v[0].crossEntropy(labels: labels, labelSmoothing: smoothing, classWeights: weights)
            }
            XCTAssertTrue(report.passed, "smoothing \(smoothing) weights \(String(describing: weights)): \(report)")
        }
    }
}
