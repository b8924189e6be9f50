import TestSupport
@testable import Imaging
import XCTest
import Foundation
@testable import Checkpoint
@testable import DataPipeline
@testable import QCS
@testable import Trainer

/// `qcs train` through the library: a small synthetic set on disk, two short epochs, and what
/// the run leaves for its operator.
final class TrainingRunTests: SyntheticRunTestCase {
    func config(_ extra: String = "") throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(optim: "lr: 1.0e-3\(extra)"), source: "test")
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
            let (_, store) = QCSModel.build(try config().model, seed: 9)
            let report = try OfficialWeights.load(root + "/run/weights/\(file).safetensors", into: store)
            XCTAssertTrue(report.isComplete, file)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("finished: 6 steps") }, "\(lines)")
        XCTAssertTrue(records.filter { $0["kind"] as? String == "step" }.allSatisfy { ($0["time"] as? Double ?? 0) > 1.7e9 })
        XCTAssertEqual(status?["total_steps"] as? Int, 6)
        XCTAssertNotNil(status?["last_checkpoint"] as? [String: Any])
        XCTAssertEqual((status?["ranks"] as? [[String: Any]])?.count, 1)
        // The plots are redrawn at each evaluation: real PNGs of the curves and the confusion matrix.
        for plot in ["loss", "accuracy", "confusion"] {
            let image = try ImageDecoder().decode(contentsOf: root + "/run/plots/\(plot).png")
            XCTAssertGreaterThan(image.width, 200, plot)
            var colors = Set<[UInt8]>()
            for k in stride(from: 0, to: image.pixels.count, by: 3) { colors.insert(Array(image.pixels[k..<(k + 3)])) }
            XCTAssertGreaterThanOrEqual(colors.count, 4, "\(plot) has more than a background and ink")
            if plot != "confusion" { XCTAssertTrue(colors.contains([31, 119, 180]), "\(plot): the step curve is drawn") }
        }
        let shown = try RunStatus(directory: root + "/run").text()
        XCTAssertTrue(shown.contains("finished"), shown)
        XCTAssertTrue(shown.contains("step 6/6 (100 %)"), shown)
        XCTAssertTrue(shown.contains("last checkpoint: \(root)/run/checkpoints/step-000000006 (step 6,"), shown)
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

    /// Weights of another architecture fill part of the model: refused with the load report,
    /// unless --allow-partial says that is what is wanted.
    func testInitialWeightsOfAnotherArchitecture_needAllowPartial() throws {
        var other = QCSConfig.tiny
        other.stageWidths = [8, 16, 24]
        let (_, store) = QCSModel.build(other, seed: 3)
        let file = root + "/other.safetensors"
        try OfficialWeights.export(store, config: other, to: file)
        var options = TrainingRun.Options(runDirectory: root + "/partial")
        options.initialWeights = file
        var lines: [String] = []
        XCTAssertThrowsError(try TrainingRun(config: config(), options: options) { lines.append($0) }.run()) {
            guard case RunError.partialInitialWeights(let path, let share, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, file)
            XCTAssertGreaterThan(share, 0.1)
            XCTAssertLessThan(share, 0.9)
            XCTAssertTrue("\($0)".contains("--allow-partial"), "\($0)")
        }
        options.runDirectory = root + "/partial-allowed"
        options.allowPartialInitialWeights = true
        XCTAssertEqual(try TrainingRun(config: config(), options: options) { _ in }.run(), .finished)
    }

    /// Under `on_bad_image: skip` the dropped images are counted and named, not passed over in silence.
    func testSkippedImages_areCountedAtTheEpochEnd() throws {
        let images = root + "/data/basic/Image/aligned"
        for (k, name) in try FileManager.default.contentsOfDirectory(atPath: images).sorted().enumerated()
        where name.hasPrefix("train_") && k % 2 == 0 {
            try Data([0xFF, 0xD8, 0xFF, 0xE0]).write(to: URL(fileURLWithPath: images + "/" + name))
        }
        var c = try config()
        c.data.onBadImage = .skip
        var lines: [String] = []
        XCTAssertEqual(try TrainingRun(config: c, options: .init(runDirectory: root + "/skip")) { lines.append($0) }.run(),
                       .finished)
        let said = lines.filter { $0.contains("unreadable image") }
        XCTAssertFalse(said.isEmpty, "\(lines)")
        XCTAssertTrue(said.allSatisfy { $0.hasPrefix("warning: dropped ") && $0.contains("on_bad_image: skip") }, "\(said)")
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
