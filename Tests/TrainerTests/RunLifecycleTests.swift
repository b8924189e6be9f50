import TestSupport
import Foundation
import XCTest
@testable import Checkpoint
@testable import QCS
@testable import Trainer

/// A run's beginning and end as an operator meets them: a finished command started again, a
/// resume after a kill, weights that are not finite going in or coming out, a run that learnt nothing.
final class RunLifecycleTests: SyntheticRunTestCase {
    func config(optim: String = "lr: 1.0e-3", train: String = "") throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(optim: optim, train: "epochs: 2, batch_size: 4, max_steps_per_epoch: 3, "
                                                          + "eval_every: 0\(train)", extra: "checkpoint: {every: 1}"),
                                 source: "test")
    }

    @discardableResult
    func run(_ c: TrainingConfig, _ directory: String, maxSteps: Int? = nil, resume: Bool = false,
             initialWeights: String? = nil) throws -> (TrainingRun.Outcome, [String]) {
        var options = TrainingRun.Options(runDirectory: directory)
        options.maxSteps = maxSteps
        options.resume = resume ? .auto : nil
        options.initialWeights = initialWeights
        var lines: [String] = []
        let outcome = try TrainingRun(config: c, options: options) { lines.append($0) }.run()
        return (outcome, lines)
    }

    func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func records(_ directory: String) throws -> [[String: Any]] {
        try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Re-running a finished command changes nothing: no step, no export, no new file.
    func testFinishedRun_startedAgain_doesNothingAndSaysSo() throws {
        let dir = root + "/run"
        let c = try config()
        try run(c, dir, maxSteps: 4)
        let files = ["weights/latest.safetensors", "metrics.jsonl", "status.json", "checkpoints/latest"]
        let before = try files.map { try contents(dir + "/" + $0) }
        let listing = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { !$0.hasPrefix("logs") }.sorted()
        let (outcome, lines) = try run(c, dir, maxSteps: 4, resume: true)
        XCTAssertEqual(outcome, .finished)
        XCTAssertTrue(lines.contains("already at step 4 of --max-steps 4; nothing to do (a larger --max-steps trains on)"),
                      "\(lines)")
        XCTAssertEqual(try files.map { try contents(dir + "/" + $0) }, before, "a finished run started again changed a file")
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: dir).filter { !$0.hasPrefix("logs") }.sorted(), listing)

        // Finished by its epochs: the same.
        try run(c, dir, resume: true)
        let ended = try files.map { try contents(dir + "/" + $0) }
        let (_, again) = try run(c, dir, resume: true)
        XCTAssertTrue(again.contains { $0.hasPrefix("already finished: all 2 epochs done, at step 6") }, "\(again)")
        XCTAssertEqual(try files.map { try contents(dir + "/" + $0) }, ended)
    }

    /// A run killed after its newest checkpoint logged steps it will do again: the resume drops
    /// them, so every step is in metrics.jsonl once, and the epoch's mean covers the whole epoch.
    func testResume_dropsRedoneStepsFromMetrics_andTheEpochLossCoversTheWholeEpoch() throws {
        let dir = root + "/resumed"
        let c = try config()
        try run(c, dir, maxSteps: 2)
        // As if the killed process had logged step 3 before dying, its checkpoint unwritten.
        let metrics = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/metrics.jsonl"))
        try metrics.seekToEnd()
        metrics.write(Data("{\"kind\": \"step\", \"step\": 3, \"loss\": 99}\n".utf8))
        try metrics.close()
        let (_, lines) = try run(c, dir, resume: true)
        XCTAssertTrue(lines.contains { $0.hasPrefix("resume: dropped 1 record of steps after 2 from metrics.jsonl") }, "\(lines)")
        let all = try records(dir)
        let steps = all.filter { $0["kind"] as? String == "step" }
        XCTAssertEqual(steps.compactMap { $0["step"] as? Int }, [1, 2, 3, 4, 5, 6])
        XCTAssertFalse(steps.contains { $0["loss"] as? Double == 99 })
        let epochs = all.filter { $0["kind"] as? String == "epoch" }
        XCTAssertEqual(epochs.count, 2)
        for (k, epoch) in epochs.enumerated() {
            let losses = steps.filter { $0["epoch"] as? Int == k + 1 }.compactMap { $0["loss"] as? Double }
            XCTAssertEqual(losses.count, 3)
            // Every step has 4 quadruplets, so the epoch's mean is the mean of its steps' means.
            XCTAssertEqual(epoch["loss"] as? Double ?? .nan, losses.reduce(0, +) / 3, accuracy: 1e-6, "epoch \(k + 1)")
            XCTAssertEqual(epoch["loss_steps"] as? Int, 3)
        }
    }

    func testNonFiniteInitialWeights_areRefusedNamingTheTensors() throws {
        let (_, store) = QCSModel.build(.tiny, seed: 1)
        let p = store.layout.parameters[5]
        store.value(p).data[2] = .nan
        let file = root + "/nan.safetensors"
        try OfficialWeights.export(store, config: .tiny, to: file)
        XCTAssertThrowsError(try run(config(), root + "/nan", initialWeights: file)) {
            guard case RunError.nonFiniteInitialWeights(let path, let tensors) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, file)
            XCTAssertEqual(tensors, [p.name])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/nan/weights/latest.safetensors"))
    }

    /// Finite loss and gradients, and an update that overflows the weights (AdamW's decay factor
    /// 1 − lr·λ is −∞ in float32): the run fails at that step and nothing of it is exported.
    func testUpdateThatOverflowsTheWeights_failsTheRunAndExportsNothing() throws {
        let dir = root + "/overflow"
        XCTAssertThrowsError(try run(config(optim: "optimizer: adamw, lr: 1.0e+30, weight_decay: 1.0e+30, sam_rho: 0"), dir)) {
            guard case RunError.updateNotFinite(let step, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(step, 1)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/weights/latest.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/checkpoints/latest"))
        let status = try JSONSerialization.jsonObject(with: contents(dir + "/status.json")) as? [String: Any]
        XCTAssertEqual(status?["state"] as? String, "failed")
        XCTAssertTrue((status?["message"] as? String)?.contains("non-finite weights") ?? false, "\(String(describing: status))")
    }

    /// Weights so large that every loss overflows, under `skip_step`: every step is dropped, and the
    /// run ends `failed`, not `finished`.
    func testRunWhoseEveryStepWasSkipped_endsFailed() throws {
        let (_, store) = QCSModel.build(.tiny, seed: 1)
        for k in 0..<store.values.count { store.values.data[k] = 1e30 }
        let file = root + "/huge.safetensors"
        try OfficialWeights.export(store, config: .tiny, to: file)
        let dir = root + "/skipped"
        XCTAssertThrowsError(try run(config(train: ", on_nonfinite: skip_step"), dir, initialWeights: file)) {
            guard case RunError.noStepApplied(let steps) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(steps, 6)
        }
        let status = try JSONSerialization.jsonObject(with: contents(dir + "/status.json")) as? [String: Any]
        XCTAssertEqual(status?["state"] as? String, "failed")
        XCTAssertEqual(status?["skipped_steps"] as? Int, 6)
    }
}
