import TestSupport
import Config
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed
@testable import QCS
@testable import Trainer

/// ZeRO-1 (`distributed.shard_optimizer`) against the unsharded run, on in-process ranks: the
/// same parameters and optimiser state bit for bit, each rank holding 1/N of the state, and
/// checkpoints that any world size resumes.
final class OptimizerShardingTests: SyntheticRunTestCase {

    func config(sharded: Bool, optim: String = "lr: 1.0e-3, clip_grad_norm: 0.5") throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(
            optim: optim, train: "batch_size: 6, max_steps_per_epoch: 3, epochs: 2",
            extra: "distributed: {check_replicas_every: 1, shard_optimizer: \(sharded)}"), source: "test")
    }

    func train(_ size: Int, sharded: Bool, optim: String = "lr: 1.0e-3, clip_grad_norm: 0.5", directory: String,
               maxSteps: Int? = nil, resume: Bool = false) throws {
        let c = try config(sharded: sharded, optim: optim)
        let outcomes = try InProcessWorld.run(size: size) { comm in
            var options = TrainingRun.Options(runDirectory: directory)
            options.maxSteps = maxSteps
            options.resume = resume ? .auto : nil
            return Result { try TrainingRun(config: c, options: options, communicator: comm) { _ in }.run() }
        }
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
    }

    /// The newest checkpoint of a run, read whole.
    func checkpoint(_ directory: String) throws -> CheckpointContents {
        let latest = try String(contentsOfFile: directory + "/checkpoints/latest", encoding: .utf8)
        return try CheckpointContents(directory: directory + "/checkpoints/" + latest)
    }

    func assertSameState(_ a: String, _ b: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (x, y) = (try checkpoint(a), try checkpoint(b))
        XCTAssertEqual(x.manifest.buffers.map(\.name), y.manifest.buffers.map(\.name), what, file: file, line: line)
        for name in x.buffers.keys.sorted() {
            XCTAssertTrue(x.buffers[name]!.array == y.buffers[name]!.array, "\(what): \(name) differs", file: file, line: line)
        }
        XCTAssertGreaterThan(x.buffers["optimizer.exp_avg_sq"]!.array.reduce(0, +), 0, "the optimizer moved")
    }

    func testShardedAdam_isBitIdenticalToUnsharded_atTwoAndThreeRanks() throws {
        // Two steps: the second reads the moments the first left in each rank's piece.
        for size in [2, 3] {
            try train(size, sharded: false, directory: root + "/plain-\(size)", maxSteps: 2)
            try train(size, sharded: true, directory: root + "/zero-\(size)", maxSteps: 2)
            try assertSameState(root + "/plain-\(size)", root + "/zero-\(size)", "Adam at \(size) ranks")
        }
    }

    func testShardedSGDWithoutSAM_isBitIdenticalToUnsharded() throws {
        let optim = "optimizer: sgd, lr: 0.05, momentum: 0.9, sam_rho: 0"
        try train(2, sharded: false, optim: optim, directory: root + "/plain")
        try train(2, sharded: true, optim: optim, directory: root + "/zero")
        let (x, y) = (try checkpoint(root + "/plain"), try checkpoint(root + "/zero"))
        XCTAssertTrue(x.buffers["parameters"]!.array == y.buffers["parameters"]!.array)
        XCTAssertTrue(x.buffers["optimizer.momentum_buffer"].map { $0.array == y.buffers["optimizer.momentum_buffer"]!.array } ?? false,
                      "\(x.manifest.buffers.map(\.name))")
    }

    func testEachRankHoldsItsPieceOfTheState_andTheCheckpointShardsAreThosePieces() throws {
        let c = try config(sharded: true)
        let pieces = try InProcessWorld.run(size: 3) { comm -> [Int] in
            let session = try TrainingSession(config: c, options: .init(runDirectory: self.root + "/pieces"), communicator: comm) { _ in }
            return [session.step.optimizer.count, session.step.shards?.owned.count ?? -1, session.store.values.count]
        }
        let total = pieces[0][2]
        XCTAssertEqual(pieces.map { $0[0] }, pieces.map { $0[1] }, "the optimizer covers the rank's piece")
        XCTAssertEqual(pieces.reduce(0) { $0 + $1[0] }, total, "the pieces cover the model once")
        XCTAssertLessThanOrEqual(pieces.map { $0[0] }.max()!, total / 3 + 1)

        try train(3, sharded: true, directory: root + "/zero3", maxSteps: 2)
        let manifest = try checkpoint(root + "/zero3").manifest
        for shard in manifest.shards {
            let range = shard.ranges.first { $0.buffer == "optimizer.exp_avg" }!
            XCTAssertEqual(range.lower..<range.upper, EvenSplit.range(count: total, part: shard.rank, parts: 3))
        }
    }

    func testAShardedCheckpoint_resumesShardedAtTheSameSize_andUnshardedAtAnother() throws {
        try train(2, sharded: true, directory: root + "/whole")
        try train(2, sharded: true, directory: root + "/split", maxSteps: 4)
        try FileManager.default.copyItem(atPath: root + "/split", toPath: root + "/other")
        try train(2, sharded: true, directory: root + "/split", resume: true)
        try assertSameState(root + "/whole", root + "/split", "sharded, resumed at 2 ranks")
        // At 3 ranks without sharding: it continues from the same state and finishes.
        try train(3, sharded: false, directory: root + "/other", resume: true)
        XCTAssertEqual(try checkpoint(root + "/other").manifest.step, 6)
    }

    func testShardingWithACompressor_isAConfigErrorThatSaysWhatToChange() {
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: """
            model: {preset: tiny}
            data: {kind: rafdb, root: x}
            distributed: {shard_optimizer: true, gradient_compression: int8}
            """, source: "t.yaml")) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "distributed.shard_optimizer")
            XCTAssertTrue("\(error)".contains("gradient_compression: none"), "\(error)")
        }
    }
}
