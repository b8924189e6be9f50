import XCTest
@testable import Autograd
@testable import QCS

final class QCSModelTests: XCTestCase {
    func batch(_ c: QCSConfig, b: Int, seed: UInt64) -> QuadrupletBatch {
        var rng = SeededRNG(seed: seed)
        func images() -> Tensor { Tensor(shape: [b, 3, c.imageSize, c.imageSize]) { rng.uniform(-2, 2) } }
        return QuadrupletBatch(anchor: images(), positive: images(), negative: images(), negative2: images(),
                               labels: (0..<b).map { $0 % c.numClasses }, negativeLabels: (0..<b).map { ($0 + 1) % c.numClasses })
    }

    func testTiny_trainingForwardBackward_shapesAndFiniteGradients() {
        let (model, store) = QCSModel.build(.tiny, seed: 1)
        let g = Graph(parameters: store)
        let out = model.trainingLoss(batch(.tiny, b: 3, seed: 3), graph: g, dropoutKey: 2)
        XCTAssertEqual(out.baseLogits.map(\.shape), Array(repeating: [3, 7], count: 4))
        XCTAssertEqual(out.crossWeights.count, 3)
        XCTAssertEqual(out.crossWeights[0][0].shape, [3, 4])
        // m is a softmax over the group's tokens.
        for i in 0..<3 {
            XCTAssertEqual((0..<4).map { out.crossWeights[1][2].value[i * 4 + $0] }.reduce(0, +), 1, accuracy: 1e-5)
        }
        let expected = (out.baseLosses + out.crossLosses).reduce(0, +) / 8
        XCTAssertEqual(out.loss.value[0], expected, accuracy: 1e-5)
        g.backward(out.loss)
        XCTAssertTrue(store.gradients.array.allSatisfy { $0.isFinite })
        // The cross head's gradient reaches the shared backbone and θ.
        let theta = store.named("cross_attention_1.theta")!
        XCTAssertNotEqual(store.gradient(theta)[0], 0)
        let stem = store.named("ir_back.input_layer.0.weight")!
        XCTAssertTrue(store.gradient(stem).array.contains { $0 != 0 })
    }

    func testInference_usesOnlyTheBasePath() {
        let (model, store) = QCSModel.build(.tiny, seed: 1)
        let g = Graph(parameters: store, training: false)
        let b = batch(.tiny, b: 2, seed: 4)
        let logits = model.inferenceLogits(g.input(b.anchor))
        XCTAssertEqual(logits.shape, [2, 7])
        XCTAssertTrue(logits.value.array.allSatisfy { $0.isFinite })
    }
}

final class ModelCostTests: XCTestCase {
    /// docs/MODEL.md: about 8.1 G multiply-adds per image at inference, about 40 G forward per quadruplet.
    func testPaperCost_matchesTheSpecFigures() {
        let cost = ModelCost(config: .paper)
        XCTAssertEqual(cost.inferenceMultiplyAdds / 1e9, 8.1, accuracy: 0.15)
        XCTAssertEqual(cost.trainingForwardMultiplyAdds / 1e9, 40, accuracy: 2)
    }
}
