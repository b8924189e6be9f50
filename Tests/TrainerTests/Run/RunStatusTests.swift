import XCTest
import Foundation
import Autograd
import Checkpoint
import Distributed
@testable import Trainer

final class RunStatusTests: XCTestCase {
    var root = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func write(_ fields: [String: Any]) throws {
        try JSONSerialization.data(withJSONObject: fields).write(to: root.appendingPathComponent("status.json"))
    }

    let now = Date(timeIntervalSince1970: 2_000_000_000)
    func stamp(_ secondsAgo: Double) -> String { ISO8601DateFormatter().string(from: now.addingTimeInterval(-secondsAgo)) }

    func testTraining_withoutAProcessHoldingTheRun_isCalledDeadWithTheWayOn() throws {
        try write(["state": "training", "updated": stamp(30), "epoch": 2, "epochs": 8, "step": 40, "total_steps": 400,
                   "steps_per_second": 2.0, "eta_seconds": 180.0, "quadruplets_per_second": 64.0,
                   "last_checkpoint": ["directory": "/r/checkpoints/step-30", "step": 30, "written": stamp(95)],
                   "ranks": [["rank": 0, "step_s": 0.5, "compute_s": 0.4, "exchange_s": 0.05, "data_s": 0.05],
                             ["rank": 1, "step_s": 0.9, "compute_s": 0.8, "exchange_s": 0.05, "data_s": 0.05]],
                   "slow_rank": 1, "best_test_accuracy": 0.61])
        let text = try RunStatus(directory: root.path).text(now: now)
        XCTAssertTrue(text.contains("training (updated 30s ago): no process holds the run"), text)
        // status.json names a checkpoint that is not on disk: what a resume would do is the disk's say.
        XCTAssertTrue(text.contains("it wrote no checkpoint, so qcs train --resume auto starts it over from step 0"), text)
        XCTAssertTrue(text.contains("epoch 2/8, step 40/400 (10 %)"), text)
        XCTAssertTrue(text.contains("2.00 steps/s, 64.0 quadruplets/s, ETA 3m00s"), text)
        XCTAssertTrue(text.contains("last checkpoint: /r/checkpoints/step-30 (step 30, 1m35s ago)"), text)
        XCTAssertTrue(text.contains("rank 1: 0.900 = 0.800 + 0.050 + 0.050   <- slow"), text)
        XCTAssertTrue(text.contains("best test accuracy: 0.6100"), text)
    }

    /// A killed run with a checkpoint on disk is continued from it, even one an earlier process wrote.
    func testKilledRun_withACheckpointOnDisk_isContinuedFromIt() throws {
        try write(["state": "training", "updated": stamp(30), "epoch": 1, "epochs": 8, "step": 9])
        let values = Tensor(shape: [4], values: [1, 2, 3, 4])
        let checkpoints = root.appendingPathComponent("checkpoints").path
        _ = try InProcessWorld.run(size: 1) { comm in
            try ShardedCheckpoint.save([CheckpointBuffer(name: "parameters", tensor: values)], step: 7, metadata: [:],
                                       root: checkpoints, over: comm)
        }
        let text = try RunStatus(directory: root.path).text(now: now)
        XCTAssertTrue(text.contains("qcs train --resume auto continues it from step 7"), text)
        XCTAssertTrue(text.contains("last checkpoint: \(checkpoints)/step-000000007 (step 7, written before this process started)"),
                      text)
    }

    func testTraining_heldButSilent_isCalledHung() throws {
        let lock = try RunLock(directory: root)
        defer { withExtendedLifetime(lock) {} }
        try write(["state": "training", "updated": stamp(600), "epoch": 1, "epochs": 1, "step": 3])
        let text = try RunStatus(directory: root.path).text(now: now)
        XCTAssertTrue(text.contains("no step for 10m00s"), text)
        XCTAssertTrue(text.contains("process: pid \(getpid())"), text)
        XCTAssertTrue(text.contains("last checkpoint: none yet"), text)
    }

    func testNotARunDirectory_isAClearError() {
        XCTAssertThrowsError(try RunStatus(directory: root.path)) {
            XCTAssertTrue("\($0)".contains("is it a run directory"), "\($0)")
        }
    }
}
