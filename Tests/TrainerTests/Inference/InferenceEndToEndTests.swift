import TestSupport
@testable import Imaging
import XCTest
import Foundation
import Reports
@testable import Autograd
@testable import Checkpoint
@testable import DataPipeline
@testable import QCS
@testable import Safetensors
@testable import Inference
@testable import Trainer

/// Predict and eval through the library, as the CLI runs them: a tiny synthetic set on disk,
/// random `tiny` weights exported under official names, then predictions and a confusion matrix.
final class InferenceEndToEndTests: SyntheticRunTestCase {
    /// Each test writes the data it needs (`writeSyntheticSet`).
    override var trainCount: Int? { nil }

    func config() throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(), source: "test")
    }

    /// Random weights (seed 3, not the seed 0 `InferenceModel` builds with) of `config` (the run
    /// config's model by default) exported to a file.
    @discardableResult
    func exportWeights(_ name: String = "weights.safetensors", part: OfficialWeights.Part = .full,
                       config: QCSConfig? = nil) throws -> (path: String, model: QCSModel, store: ParameterStore) {
        let config = try config ?? self.config().model
        let (model, store) = QCSModel.build(config, seed: 3)
        let path = root + "/" + name
        try OfficialWeights.export(store, config: config, to: path, part: part)
        return (path, model, store)
    }

    func writeSyntheticSet(train: Int = 7, test: Int = 9) throws {
        let set = try SyntheticDataset(options: .init(seed: 5, trainCount: train, testCount: test, imageSize: 32))
        try set.write(to: URL(fileURLWithPath: root + "/data"))
    }

    func testPredict_givesOneRowPerImage_andNamesTheUnreadableOne() throws {
        try writeSyntheticSet()
        let weights = try exportWeights()
        let config = try config()
        let model = try InferenceModel(config: config.model, weightsPath: weights.path)
        let input = try TestTimeInput(dataset: .rafdb, imageSize: config.model.imageSize)
        let images = (1...3).map { "\(root)/data/basic/Image/aligned/test_000\($0)_aligned.jpg" }
        let bogus = root + "/not-an-image.jpg"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: bogus))
        let outcomes = Predictor(model: model, input: input, batchSize: 2)
            .predict((images + [bogus]).map { ImageSource.file($0) })
        XCTAssertEqual(outcomes.count, 4)
        var predictions: [Prediction] = []
        for outcome in outcomes.prefix(3) {
            guard case .predicted(let p) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(p.logits.count, 7)
            XCTAssertEqual(p.probabilities.reduce(0, +), 1, accuracy: 1e-9)
            predictions.append(p)
        }
        XCTAssertEqual(predictions.map(\.image), images)
        guard case .unreadable(let image, let reason) = outcomes[3] else { return XCTFail("\(outcomes[3])") }
        XCTAssertEqual(image, bogus)
        XCTAssertTrue(reason.contains(bogus), reason)

        // The weights really were loaded: the same logits as the exported model run directly.
        let decoded = try ImageDecoder().decode(contentsOf: images[0])
        let g = Graph(parameters: weights.store, training: false)
        let direct = weights.model.inferenceLogits(g.input(input.batch([decoded]))).value.array
        for (a, b) in zip(predictions[0].logits, direct) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // JSON lines parse and carry what the help promises.
        let names = config.data.classNames
        let line = predictions[1].jsonLine(classNames: names, topK: 3)
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["image"] as? String, images[1])
        XCTAssertEqual((object["logits"] as? [Double])?.count, 7)
        XCTAssertEqual((object["probabilities"] as? [Double])?.count, 7)
        XCTAssertEqual(object["classes"] as? [String], names)
        let top = try XCTUnwrap(object["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 3)
        XCTAssertEqual(top[0]["class"] as? String, names[predictions[1].best])
        let p = top.compactMap { $0["probability"] as? Double }
        XCTAssertEqual(p, p.sorted(by: >))
    }

    func evaluation(_ samples: [Sample], policy: BadImagePolicy = .stop, flip: Bool = false) throws -> SplitEvaluation {
        var e = SplitEvaluation(samples: samples, recipe: try TestTimeInput(dataset: .rafdb, imageSize: try config().model.imageSize).recipe,
                                classes: 7, options: LoaderOptions(threads: 1), badImages: BadImageHandler(policy: policy))
        e.batchSize = 4
        e.flipTTA = flip
        return e
    }

    func testEval_confusionMatrixCountsEveryTestImage_alsoWithFlipTTAAndRanks() throws {
        try writeSyntheticSet()
        let weights = try exportWeights(part: .inference)
        let config = try config()
        let dataset = try DatasetReader(config: config.data).read()
        let samples = dataset.samples(.test)
        XCTAssertEqual(samples.count, 9)
        let model = try InferenceModel(config: config.model, weightsPath: weights.path)
        var done: [Int] = []
        let plain = try evaluation(samples).confusion(rank: 0, worldSize: 1, logits: model.logits) { done.append($0) }
        XCTAssertEqual(plain.total, 9)
        XCTAssertEqual(plain.classes, 7)
        XCTAssertEqual(done, [4, 8, 9])
        XCTAssertEqual(ClassificationMetrics(confusion: plain).support, dataset.classCounts(.test))

        // The trainer and qcs eval share the rule: the same predictions as the predictor's,
        // whose flip TTA averages the softmaxes.
        for flip in [false, true] {
            let predictor = Predictor(model: model, input: try TestTimeInput(dataset: .rafdb, imageSize: config.model.imageSize), batchSize: 4,
                                      flipTTA: flip)
            var expected = ConfusionMatrix(classes: 7)
            let images = try samples.map { try $0.source.load() }
            for (sample, score) in zip(samples, predictor.scores(images)) {
                expected.add(truth: sample.label,
                             predicted: Prediction(image: "", logits: score.logits, probabilities: score.probabilities).best)
            }
            let whole = try evaluation(samples, flip: flip).confusion(rank: 0, worldSize: 1, logits: model.logits)
            XCTAssertEqual(whole, expected, "flip \(flip)")
            // Two ranks' contiguous parts sum to the whole split.
            let parts = try (0..<2).map { try evaluation(samples, flip: flip).confusion(rank: $0, worldSize: 2, logits: model.logits) }
            XCTAssertEqual(parts[0] + parts[1], whole)
        }
    }

    func testMeanOfSoftmaxes_canDisagreeWithTheMeanOfLogits() {
        // Mirror logits chosen so the two averages pick different classes: the documented rule
        // (mean probabilities 0.484, 0.417, 0.100) picks class 0, mean logits (0, 0.75, 0) class 1.
        let a: [Float] = [4, 0, 0], b: [Float] = [-4, 1.5, 0]
        XCTAssertEqual(SplitEvaluation.predicted(a, mirrored: b), 0)
        XCTAssertEqual(zip(a, b).map { ($0 + $1) / 2 }.enumerated().max { $0.element < $1.element }?.offset, 1)
    }

    func testEval_unreadableImage_stopsNamingIt_orIsSkipped() throws {
        try writeSyntheticSet(train: 7, test: 3)
        let broken = root + "/data/basic/Image/aligned/test_0002_aligned.jpg"
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: broken))
        let weights = try exportWeights()
        let config = try config()
        let samples = try DatasetReader(config: config.data).read().samples(.test)
        let model = try InferenceModel(config: config.model, weightsPath: weights.path)
        XCTAssertThrowsError(try evaluation(samples).confusion(rank: 0, worldSize: 1, logits: model.logits)) {
            XCTAssertTrue("\($0)".contains(broken), "\($0)")
        }
        let skipping = try evaluation(samples, policy: .skip)
        XCTAssertEqual(try skipping.confusion(rank: 0, worldSize: 1, logits: model.logits).total, 2)
        XCTAssertEqual(skipping.badImages.skipped.map(\.file), [broken])
    }

    func testWeightsWithoutSomeInferenceTensors_areRefusedWithTheirNames() throws {
        let (_, store) = QCSModel.build(.tiny, seed: 3)
        let kept = store.layout.parameters.filter { !$0.name.hasPrefix("VIT_base.head") }
        let path = root + "/partial.safetensors"
        try SafetensorsWriter(path: path).write(kept.map { (name: $0.name, tensor: store.value($0)) })
        XCTAssertThrowsError(try InferenceModel(config: .tiny, weightsPath: path)) { error in
            guard case InferenceError.incompleteInferenceWeights(_, let missing, _) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(missing.contains("VIT_base.head.linear.weight"), "\(missing)")
            XCTAssertTrue(missing.contains { $0.hasSuffix("running_mean") }, "buffers are required too: \(missing)")
            XCTAssertTrue("\(error)".contains("VIT_base.head.linear.weight"))
        }
    }

    /// Many converters and float-only exports leave BatchNorm's `num_batches_tracked` out: predict
    /// and eval take such a file as `--init-weights` does, with the same predictions.
    func testWeightsWithoutTheBatchNormCounters_loadAsTheWholeFileDoes() throws {
        try writeSyntheticSet()
        let whole = try exportWeights(config: .tiny)
        let kept = (whole.store.layout.parameters + whole.store.layout.buffers).filter { !$0.name.hasSuffix(".num_batches_tracked") }
        XCTAssertGreaterThan(whole.store.layout.buffers.count - (kept.count - whole.store.layout.parameters.count), 10)
        let path = root + "/no-counters.safetensors"
        try SafetensorsWriter(path: path).write(kept.map { (name: $0.name, tensor: whole.store.value($0)) })
        let model = try InferenceModel(config: .tiny, weightsPath: path)
        XCTAssertFalse(model.loadReport.absentCounters.isEmpty)
        let reference = try InferenceModel(config: .tiny, weightsPath: whole.path)
        let size = QCSConfig.tiny.imageSize
        let images = Tensor(shape: [2, 3, size, size]) { Float.random(in: -1...1) }
        XCTAssertEqual(model.logits(images), reference.logits(images))
        // `--init-weights` of a training run takes the same file.
        let (_, store) = QCSModel.build(.tiny, seed: 1)
        XCTAssertTrue(try OfficialWeights.load(path, into: store, strict: true).isComplete)
    }

    func testWeightsHoldingNaNOrInfinity_areRefusedNamingTheTensors() throws {
        let (_, store) = QCSModel.build(.tiny, seed: 3)
        let head = try XCTUnwrap(store.layout.parameters.first { $0.name == "VIT_base.head.linear.weight" })
        let norm = try XCTUnwrap(store.layout.buffers.first { $0.name.hasSuffix("running_var") })
        store.value(head).data[3] = .nan
        store.value(norm).data[0] = .infinity
        let path = root + "/diverged.safetensors"
        try OfficialWeights.export(store, config: .tiny, to: path)
        XCTAssertThrowsError(try InferenceModel(config: .tiny, weightsPath: path)) { error in
            guard case InferenceError.nonFiniteWeights(_, let tensors) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(Set(tensors), [head.name, norm.name])
            XCTAssertTrue("\(error)".contains("a run that diverged"), "\(error)")
        }
        // The same weights, finite again, load.
        store.value(head).data[3] = 0
        store.value(norm).data[0] = 1
        try OfficialWeights.export(store, config: .tiny, to: path)
        XCTAssertNoThrow(try InferenceModel(config: .tiny, weightsPath: path))
    }

    func testWeightsOfAnotherConfiguration_areRefusedNamingTheDifference() throws {
        var other = QCSConfig.tiny
        other.embedDim = 64
        let weights = try exportWeights(config: other)
        XCTAssertThrowsError(try InferenceModel(config: .tiny, weightsPath: weights.path)) { error in
            guard case InferenceError.configMismatch(_, let differences) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(differences, ["model.embed_dim 64 vs 32"])
        }
    }

    func testCheckpointDirectory_acceptsRunDirOrItsWeightsFolder() throws {
        let run = root + "/run"
        try FileManager.default.createDirectory(atPath: run + "/weights", withIntermediateDirectories: true)
        XCTAssertThrowsError(try WeightsLocation.resolve(weights: nil, checkpoint: run)) {
            XCTAssertTrue("\($0)".contains("\(run)/weights/latest.safetensors"), "\($0)")
        }
        try exportWeights("run/weights/latest.safetensors")
        let expected = run + "/weights/latest.safetensors"
        XCTAssertEqual(try WeightsLocation.resolve(weights: nil, checkpoint: run), expected)
        XCTAssertEqual(try WeightsLocation.resolve(weights: nil, checkpoint: run + "/weights"), expected)
        XCTAssertEqual(try WeightsLocation.resolve(weights: expected, checkpoint: nil), expected)
        XCTAssertThrowsError(try WeightsLocation.resolve(weights: run, checkpoint: nil))
    }

    func testPrediction_topKOrderAndSoftmax() {
        let p = Prediction(image: "x", logits: [0, 2, 1, 2])
        XCTAssertEqual(p.top(3).map(\.label), [1, 3, 2], "ties go to the lower label")
        XCTAssertEqual(p.probabilities.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(p.probabilities[1] / p.probabilities[0], exp(2), accuracy: 1e-9)
        XCTAssertEqual(p.textLine(classNames: ["a", "b"], topK: 2), "x: b 0.399, class 3 0.399")
        XCTAssertEqual(Prediction.softmax([1000, 1000]), [0.5, 0.5], "no overflow on large logits")
    }
}
