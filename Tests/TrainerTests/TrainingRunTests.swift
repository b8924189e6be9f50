import XCTest
import Foundation
@testable import Checkpoint
@testable import DataPipeline
@testable import QCS
@testable import Trainer

/// `qcs train` through the library: a small synthetic set on disk, two short epochs, and what
/// the run leaves for its operator.
final class TrainingRunTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try SyntheticRunFolder("train", trainCount: 28).root }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func config(_ extra: String = "") throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: """
            model: {preset: tiny}
            data: {kind: rafdb, root: \(root)/data}
            optim: {lr: 1.0e-3\(extra)}
            train: {epochs: 2, batch_size: 4, max_steps_per_epoch: 3, threads: 1, loader_threads: 1}
            """, source: "test")
    }

    func testRun_writesStatusMetricsAndLoadableWeights() throws {
        var lines: [String] = []
        let outcome = try TrainingRun(config: config(), options: .init(runDirectory: root + "/run")) { lines.append($0) }.run()
        XCTAssertEqual(outcome, .finished)
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/run/status.json"))) as? [String: Any]
        XCTAssertEqual(status?["state"] as? String, "finished")
        XCTAssertEqual(status?["step"] as? Int, 6)
        let records = try String(contentsOfFile: root + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(records.filter { $0["kind"] as? String == "step" }.count, 6)
        let epochs = records.filter { $0["kind"] as? String == "epoch" }
        XCTAssertEqual(epochs.count, 2)
        XCTAssertNotNil(epochs.last?["test_accuracy"] as? Double)
        XCTAssertTrue(records.allSatisfy { ($0["loss"] as? Double)?.isFinite ?? true })
        for file in ["latest", "epoch-001", "epoch-002"] {
            let (_, store) = QCSModel.build(.tiny, seed: 9)
            let report = try OfficialWeights.load(root + "/run/weights/\(file).safetensors", into: store)
            XCTAssertTrue(report.isComplete, file)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("finished: 6 steps") }, "\(lines)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/run/weights/latest.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: root + "/run/weights/epoch-002.safetensors")),
                       "latest is the last epoch's export")
    }

    /// Gradient accumulation groups batches: 3 batches per epoch with 2 per step → 2 steps.
    func testGradientAccumulation_takesOneStepPerGroupOfBatches() throws {
        let outcome = try TrainingRun(config: config(", grad_accumulation: 2, clip_grad_norm: 1.0"),
                                      options: .init(runDirectory: root + "/acc")) { _ in }.run()
        XCTAssertEqual(outcome, .finished)
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/acc/status.json"))) as? [String: Any]
        XCTAssertEqual(status?["step"] as? Int, 4)
    }

    /// An error only this process meets (a corrupt test image at the epoch's evaluation) still
    /// leaves status.json saying `failed`, with the error.
    func testRunError_leavesStatusFailedWithTheMessage() throws {
        let images = root + "/data/basic/Image/aligned"
        for name in try FileManager.default.contentsOfDirectory(atPath: images) where name.hasPrefix("test_") {
            try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: images + "/" + name))
        }
        XCTAssertThrowsError(try TrainingRun(config: config(), options: .init(runDirectory: root + "/broken")) { _ in }.run())
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/broken/status.json"))) as? [String: Any]
        XCTAssertEqual(status?["state"] as? String, "failed")
        XCTAssertTrue((status?["message"] as? String)?.contains("test_") ?? false, "\(String(describing: status))")
    }

    func testMissingData_isAnErrorNamingTheProblem() throws {
        var c = try config()
        c.data.root = root + "/nowhere"
        XCTAssertThrowsError(try TrainingRun(config: c, options: .init(runDirectory: root + "/bad")) { _ in }.run()) {
            XCTAssertTrue("\($0)".contains("nowhere"), "\($0)")
        }
    }
}

final class TrainingRunSignalTests: XCTestCase {
    /// SIGTERM during a run: the loop finishes its step, exports weights and reports the stop.
    func testSIGTERM_exportsWeightsAndStops() throws {
        let folder = try SyntheticRunFolder("signal", trainCount: 28, testCount: 7)
        defer { folder.remove() }
        let root = folder.root
        let config = try TrainingConfig.parse(yaml: """
            model: {preset: tiny}
            data: {kind: rafdb, root: \(root)/data}
            train: {epochs: 50, batch_size: 4, threads: 1, loader_threads: 1}
            """, source: "test")
        var options = TrainingRun.Options(runDirectory: root + "/run")
        options.logEvery = 1
        var raised = false
        let outcome = try TrainingRun(config: config, options: options) { line in
            if line.hasPrefix("epoch 1/50 step 1/") && !raised {
                raised = true
                raise(SIGTERM)
            }
        }.run()
        XCTAssertEqual(outcome, .stopped(signal: SIGTERM))
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/run/status.json"))) as? [String: Any]
        XCTAssertEqual(status?["state"] as? String, "stopped")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/run/weights/latest.safetensors"))
    }
}
