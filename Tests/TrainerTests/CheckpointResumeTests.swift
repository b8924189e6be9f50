import TestSupport
import Autograd
import Checkpoint
import Foundation
import XCTest
@testable import Inference
@testable import Trainer

/// What a resume checks and keeps: the configuration against the checkpoint's, the manifest's
/// records, and which checkpoints survive pruning.
final class CheckpointResumeTests: SyntheticRunTestCase {
    func config(optim: String = "lr: 1.0e-3", epochs: Int = 2, train: String = "", checkpoint: String = "",
                data: String? = nil) throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(optim: optim, train: "batch_size: 4, max_steps_per_epoch: 2, "
                                                          + "epochs: \(epochs)\(train)",
                                                          extra: "checkpoint: {every: 1\(checkpoint)}", dataRoot: data),
                                 source: "test")
    }

    func run(_ c: TrainingConfig, _ directory: String, maxSteps: Int? = nil, resume: Bool = false) throws -> [String] {
        var options = TrainingRun.Options(runDirectory: directory)
        options.maxSteps = maxSteps
        options.resume = resume ? .auto : nil
        var lines: [String] = []
        _ = try TrainingRun(config: c, options: options) { lines.append($0) }.run()
        return lines
    }

    func testResume_withAnotherOptimiserOrLearningRate_listsEachDifference() throws {
        _ = try run(try config(), root + "/run", maxSteps: 2)
        let other = try config(optim: "lr: 2.0e-3, optimizer: sgd")
        XCTAssertThrowsError(try run(other, root + "/run", resume: true)) {
            let text = "\($0)"
            guard case RunError.resumeMismatch = $0 else { return XCTFail(text) }
            XCTAssertTrue(text.contains("optim.lr 0.001 -> 0.002"), text)
            XCTAssertTrue(text.contains("optim.optimizer adam -> sgd"), text)
            XCTAssertFalse(text.contains("train.epochs"), text)
        }
    }

    func testResume_takesKeysThatMayChangeFromTheNewConfigAndSaysSo() throws {
        _ = try run(try config(), root + "/run", maxSteps: 2)
        let lines = try run(try config(epochs: 3, train: ", eval_every: 0", checkpoint: ", keep: 2"), root + "/run", resume: true)
        XCTAssertTrue(lines.contains { $0.contains("train.epochs 2 -> 3") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("checkpoint.keep 3 -> 2") }, "\(lines)")
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/run/status.json")))
        XCTAssertEqual((status as? [String: Any])?["step"] as? Int, 6)
    }

    func testResume_onAnotherTrainingSplit_isRefused() throws {
        _ = try run(try config(), root + "/run", maxSteps: 2)
        let moved = try SyntheticRunFolder("resume-other", trainCount: 35)
        defer { moved.remove() }
        XCTAssertThrowsError(try run(try config(data: moved.root + "/data"), root + "/run", resume: true)) {
            XCTAssertTrue("\($0)".contains("training split"), "\($0)")
        }
    }

    func testManifest_recordsTheResolvedConfigTensorsVersionAndCursor() throws {
        _ = try run(try config(), root + "/run", maxSteps: 3)
        let manifest = try CheckpointManifest.read(root + "/run/checkpoints/step-000000003")
        let config = try JSONDecoder().decode([String: String].self, from: Data(manifest.metadata["config"]!.utf8))
        XCTAssertEqual(config["optim.lr"], "0.001")
        XCTAssertEqual(config["train.batch_size"], "4")
        XCTAssertEqual(manifest.metadata["qcs_version"], "0.1.0")
        XCTAssertEqual(manifest.metadata["seed"], "0")
        XCTAssertTrue(manifest.metadata["state"]!.contains("\"globalStep\":3"), manifest.metadata["state"]!)
        let conv = try XCTUnwrap(manifest.tensors.first { $0.name == "ir_back.input_layer.0.weight" })
        XCTAssertEqual(conv.buffer, "parameters")
        XCTAssertEqual(conv.shape, [8, 3, 3, 3])
        XCTAssertTrue(manifest.tensors.contains { $0.buffer == "buffers" && $0.name.hasSuffix("running_mean") })
        XCTAssertEqual(Set(manifest.buffers.map(\.name)), ["parameters", "buffers", "optimizer.exp_avg", "optimizer.exp_avg_sq"])
    }

    func testRetention_keepsTheNewestTheCurrentAndTheBestEvaluated() {
        let retention = CheckpointRetention(keep: 2, keepBest: true)
        let all: [(name: String, testAccuracy: Double?)] = [
            ("step-1", nil), ("step-2", 0.5), ("step-3", nil), ("step-4", 0.7), ("step-5", nil), ("step-6", 0.7), ("step-7", nil),
        ]
        // The best is step-6 (step-4 ties it, and is older).
        XCTAssertEqual(Set(retention.doomed(all, current: "step-7")), ["step-1", "step-2", "step-3", "step-4", "step-5"])
        let older = all.map { $0.name == "step-6" ? ($0.name, 0.6) : $0 }
        XCTAssertEqual(Set(retention.doomed(older, current: "step-7")), ["step-1", "step-2", "step-3", "step-5"])
        XCTAssertEqual(Set(CheckpointRetention(keep: 2, keepBest: false).doomed(older, current: "step-3")),
                       ["step-1", "step-2", "step-4", "step-5"])
    }

    /// A whole run with keep 2: the newest two and the best evaluated epoch end are all that is left.
    func testPruning_inARun_leavesTheNewestAndTheBestEvaluated() throws {
        _ = try run(try config(epochs: 3, checkpoint: ", keep: 2"), root + "/run")
        let directory = root + "/run/checkpoints"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("step-") }.sorted()
        let accuracies = try String(contentsOfFile: root + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .compactMap { $0["kind"] as? String == "epoch" ? $0["test_accuracy"] as? Double : nil }
        XCTAssertEqual(accuracies.count, 3)
        let best = accuracies.indices.max { accuracies[$0] < accuracies[$1] || (accuracies[$0] == accuracies[$1] && $0 < $1) }!
        let expected = Set(["step-000000006", "step-000000005", String(format: "step-%09d", 2 * (best + 1))])
        XCTAssertEqual(Set(names), expected)
        let manifest = try CheckpointManifest.read(directory + "/step-000000006")
        XCTAssertEqual(manifest.metadata["test_accuracy"].flatMap(Double.init), accuracies[2])
        XCTAssertEqual(manifest.metadata["best_test_accuracy"].flatMap(Double.init), accuracies.max())
    }

    /// eval/predict --checkpoint: a checkpoint directory gives the very model the exported file does.
    func testInference_fromACheckpointDirectory_equalsTheExportedWeights() throws {
        _ = try run(try config(), root + "/run", maxSteps: 3)
        let checkpoint = root + "/run/checkpoints/step-000000003"
        XCTAssertEqual(try WeightsLocation.source(weights: nil, checkpoint: checkpoint), .checkpoint(checkpoint))
        XCTAssertEqual(try WeightsLocation.source(weights: nil, checkpoint: root + "/run"),
                       .file(root + "/run/weights/latest.safetensors"))
        let c = try config()
        let fromFile = try InferenceModel(config: c.model, source: .file(root + "/run/weights/latest.safetensors"))
        let fromCheckpoint = try InferenceModel(config: c.model, source: .checkpoint(checkpoint))
        XCTAssertTrue(fromFile.store.values.array == fromCheckpoint.store.values.array)
        XCTAssertTrue(fromFile.store.bufferValues.array == fromCheckpoint.store.bufferValues.array)
        let side = c.model.imageSize
        let images = Tensor(shape: [2, 3, side, side], generate: { Float.random(in: -1...1) })
        XCTAssertEqual(fromFile.logits(images), fromCheckpoint.logits(images))

        try FileManager.default.removeItem(atPath: root + "/run/weights")
        XCTAssertEqual(try WeightsLocation.source(weights: nil, checkpoint: root + "/run"), .checkpoint(checkpoint))
        var other = c.model
        other.embedDim = 48
        XCTAssertThrowsError(try InferenceModel(config: other, source: .checkpoint(checkpoint))) {
            XCTAssertTrue("\($0)".contains("model.embed_dim 32 vs 48"), "\($0)")
        }
    }

    /// The newest checkpoint lost its manifest, the one before has a truncated shard: --resume
    /// auto names both and continues from the third.
    func testResumeAuto_namesAMissingManifestAndATruncatedShardAndFallsBack() throws {
        _ = try run(try config(epochs: 3), root + "/run", maxSteps: 4)
        let checkpoints = root + "/run/checkpoints"
        try FileManager.default.removeItem(atPath: checkpoints + "/step-000000004/manifest.json")
        let shard = checkpoints + "/step-000000003/shard-00000-of-00001.bin.zst"
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: shard))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let lines = try run(try config(epochs: 3), root + "/run", resume: true)
        XCTAssertTrue(lines.contains { $0.contains("skipped step-000000004") && $0.contains("no manifest.json") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("skipped step-000000003") && $0.contains(shard)
                                       && $0.contains("not completely written") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("resume: ") && $0.contains("step 2") }, "\(lines)")
    }

    /// A manifest whose buffer count the shards do not hold is as corrupt as a truncated shard:
    /// skipped with the reason, the run going on from the one before; with every checkpoint
    /// damaged the resume stops, naming each, rather than start the run over.
    func testResumeAuto_skipsAnInconsistentManifest_andRefusesWhenEveryCheckpointIsDamaged() throws {
        _ = try run(try config(epochs: 3), root + "/run", maxSteps: 3)
        let checkpoints = root + "/run/checkpoints"
        func breakManifest(_ step: String) throws {
            let path = checkpoints + "/\(step)/manifest.json"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: "\"count\" : 427", with: "\"count\" : 437")
                .write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try CheckpointManifest.read(checkpoints + "/\(step)"))
        }
        try breakManifest("step-000000003")
        let lines = try run(try config(epochs: 3), root + "/run", maxSteps: 4, resume: true)
        XCTAssertTrue(lines.contains { $0.contains("skipped step-000000003")
                                       && $0.contains("buffer 'buffers' has 437 elements, its shards hold 427") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("resume: ") && $0.contains("step 2") }, "\(lines)")
        for step in ["step-000000002", "step-000000003", "step-000000004"] where FileManager.default.fileExists(atPath: checkpoints + "/" + step) {
            try breakManifest(step)
        }
        XCTAssertThrowsError(try run(try config(epochs: 3), root + "/run", resume: true)) {
            guard case RunError.noCompleteCheckpoint(_, let problems) = $0 else { return XCTFail("\($0)") }
            XCTAssertGreaterThanOrEqual(problems.count, 2, "\(problems)")
        }
    }
}
