import XCTest
@testable import Autograd
@testable import Optim
@testable import QCS
@testable import Trainer

final class SAMTrainingStepTests: XCTestCase {
    /// A procedural stand-in for a data set: each class is a fixed random pattern, each image that
    /// pattern plus noise. Enough to tell whether the whole training step learns.
    struct PatternData {
        let patterns: [[Float]]
        let side: Int
        init(classes: Int, side: Int, seed: UInt64) {
            var rng = SeededRNG(seed: seed)
            self.side = side
            patterns = (0..<classes).map { _ in (0..<(3 * side * side)).map { _ in rng.uniform(-1, 1) } }
        }
        func images(_ labels: [Int], rng: inout SeededRNG) -> Tensor {
            let n = 3 * side * side
            var values: [Float] = []
            for y in labels { values += (0..<n).map { patterns[y][$0] + 0.8 * rng.nextNormal() } }
            return Tensor(shape: [labels.count, 3, side, side], values: values)
        }
        func quadruplets(batch: Int, rng: inout SeededRNG) -> QuadrupletBatch {
            let c = patterns.count
            let y = (0..<batch).map { _ in Int(rng.next() % UInt64(c)) }
            let y2 = y.map { ($0 + 1 + Int(rng.next() % UInt64(c - 1))) % c }
            return QuadrupletBatch(anchor: images(y, rng: &rng), positive: images(y, rng: &rng),
                                   negative: images(y2, rng: &rng), negative2: images(y2, rng: &rng),
                                   labels: y, negativeLabels: y2)
        }
    }

    func testTinyModel_learnsPatternsWithSAMAdam() throws {
        // 32x32 images: a one-cell token grid, a quarter of the tiny preset's pixels, the same step.
        var config = QCSConfig.tiny
        config.numClasses = 4
        config.imageSize = 32
        let (model, store) = QCSModel.build(config, seed: 1)
        let step = SAMTrainingStep(model: model, store: store, optimizer: Adam(count: store.values.count))
        let data = PatternData(classes: 4, side: config.imageSize, seed: 2)
        var rng = SeededRNG(seed: 3)
        var losses: [Float] = [], accuracies: [Float] = []
        for _ in 0..<30 {
            let m = try step.step(data.quadruplets(batch: 4, rng: &rng), learningRate: 2e-3, dropoutKey: rng.next())
            losses.append(m.loss)
            accuracies.append(m.baseAccuracy)
        }
        let early = losses.prefix(5).reduce(0, +) / 5, late = losses.suffix(5).reduce(0, +) / 5
        let lateAccuracy = accuracies.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(late, early * 0.8, "loss \(early) → \(late)")
        XCTAssertGreaterThan(lateAccuracy, 0.6, "chance is 0.25")
    }

    /// Same seed, same batches: two runs end with bit-identical parameters and buffers.
    func testStep_isDeterministic() throws {
        func run() throws -> ([Float], [Float]) {
            let (model, store) = QCSModel.build(.tiny, seed: 5)
            let step = SAMTrainingStep(model: model, store: store, optimizer: Adam(count: store.values.count))
            let data = PatternData(classes: 7, side: QCSConfig.tiny.imageSize, seed: 6)
            var rng = SeededRNG(seed: 7)
            for _ in 0..<2 { try step.step(data.quadruplets(batch: 2, rng: &rng), learningRate: 1e-3, dropoutKey: rng.next()) }
            return (store.values.array, store.bufferValues.array)
        }
        let a = try run(), b = try run()
        XCTAssertEqual(a.0, b.0)
        XCTAssertEqual(a.1, b.1)
    }
}
