import TestSupport
import XCTest
import Foundation
@testable import Distributed
@testable import Trainer

/// `qcs debug replay`'s engine against a real 2-rank run (threads standing in for ranks): the
/// step after a checkpoint, replayed for one rank in isolation, prints the sums that rank logged.
final class StepReplayTests: XCTestCase {
    var folder: SyntheticRunFolder!
    var run = ""

    override func setUpWithError() throws {
        folder = try SyntheticRunFolder("replay", trainCount: 28)
        run = folder.root + "/run"
        let c = try TrainingConfig.parse(yaml: folder.tinyConfig(
            train: "epochs: 1, batch_size: 5, max_steps_per_epoch: 3, eval_every: 0", extra: "checkpoint: {every: 2}"),
            source: "test")
        let outcomes = try InProcessWorld.run(size: 2) { comm in
            Result { () throws -> TrainingRun.Outcome in
                var options = TrainingRun.Options(runDirectory: self.run)
                options.logLevel = .debug
                return try TrainingRun(config: c, options: options, communicator: comm) { _ in }.run()
            }
        }
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
    }

    override func tearDownWithError() throws { folder.remove() }

    var checkpoint: String { run + "/checkpoints/step-000000002" }

    /// The `step N: samples … cross_loss_sum X` part of rank `rank`'s debug line for step `step`.
    func logged(rank: Int, step: Int) throws -> String {
        let text = try String(contentsOfFile: RankLog.path(runDirectory: run, rank: rank), encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(" debug step \(step): ") })
        return Self.lossPart(String(line[line.range(of: "step \(step): ")!.lowerBound...]))
    }

    static func lossPart(_ line: String) -> String {
        let fields = line.split(separator: " ")
        let end = fields.firstIndex(of: "cross_loss_sum")! + 1
        return fields[...end].joined(separator: " ")
    }

    func testFirstStepAfterCheckpoint_printsWhatEachRankLogged_bitForBit() throws {
        for rank in 0..<2 {
            var options = StepReplay.Options(checkpoint: checkpoint, rank: rank)
            options.threads = 2  // the run used 1: the figures must not depend on it
            let replay = try StepReplay(options)
            XCTAssertEqual(replay.worldSize, 2, "the checkpoint's world size by default")
            XCTAssertEqual(replay.start.globalStep, 2)
            var steps: [ReplayedStep] = []
            try replay.run { steps.append($0) }
            XCTAssertEqual(steps.map(\.step), [3])
            let step = try XCTUnwrap(steps.first)
            XCTAssertTrue(step.isFinite)
            XCTAssertGreaterThan(step.result.samples, 0)
            XCTAssertTrue(step.result.gradientNorm.isFinite && step.result.gradientNorm > 0)
            XCTAssertEqual(Self.lossPart(step.lines[0]), try logged(rank: rank, step: 3), "rank \(rank)")
        }
    }

    /// Asked for more steps than the run has left, it stops at the run's end.
    func testReplayStopsAtTheRunsEnd() throws {
        var options = StepReplay.Options(checkpoint: run, rank: 1)  // the run directory: its newest checkpoint
        options.steps = 5
        options.worldSize = 2
        options.overrides = ["train.epochs": "2"]
        let replay = try StepReplay(options)
        XCTAssertEqual(replay.start.globalStep, 3)
        var numbers: [Int] = []
        try replay.run { numbers.append($0.step) }
        XCTAssertEqual(numbers, [4, 5, 6], "epoch 2's three steps, then the end")
        XCTAssertTrue(replay.notes.contains { $0.contains("train.epochs=2") }, "\(replay.notes)")
    }

    func testWhatCannotBeReplayed_isRefusedSayingWhy() throws {
        func refusal(_ change: (inout StepReplay.Options) -> Void) -> ReplayError? {
            var options = StepReplay.Options(checkpoint: checkpoint, rank: 1)
            change(&options)
            do {
                _ = try StepReplay(options)
                return nil
            } catch {
                return error as? ReplayError
            }
        }
        XCTAssertEqual(refusal { $0.rank = 2 }, .rankOutOfRange(rank: 2, worldSize: 2))
        XCTAssertEqual(refusal { $0.checkpoint = self.run + "/checkpoints/step-000000003" },
                       .runFinished(directory: run + "/checkpoints/step-000000003", epochs: 1))
        XCTAssertEqual(refusal { $0.overrides = ["distributed.sync_batch_statistics": "true"] },
                       .batchStatisticsAcrossRanks(worldSize: 2))
        XCTAssertNil(refusal { $0.overrides = ["distributed.sync_batch_statistics": "true"]; $0.rank = 0; $0.worldSize = 1 },
                     "one rank holds the whole batch: nothing is missing")
        XCTAssertEqual(refusal { $0.dataRoot = self.folder.root + "/nowhere" },
                       .dataMissing(root: folder.root + "/nowhere", fromCommandLine: true))
        let other = try SyntheticRunFolder("replay-other", trainCount: 28, seed: 9)
        defer { other.remove() }
        XCTAssertEqual(refusal { $0.dataRoot = other.root + "/data" },
                       .dataDiffers(root: other.root + "/data", directory: checkpoint))
    }
}
