import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import DataPipeline
@testable import Distributed
@testable import QCS
@testable import Trainer

/// The trainer's multi-rank logic with threads standing in for ranks (`InProcessWorld`): the
/// collective decisions, the failures every rank must agree on, the replica check. The same
/// paths under mpirun are in scripts/test.
final class DistributedTrainingTests: SyntheticRunTestCase {

    func config(optim: String = "lr: 1.0e-3", train: String = ", epochs: 1", distributed: String = "") throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(
            optim: optim, train: "batch_size: 4, max_steps_per_epoch: 3\(train)",
            extra: "distributed: {check_replicas_every: 1\(distributed)}"), source: "test")
    }

    /// Runs `config` on `size` in-process ranks; each rank's outcome or error.
    func runRanks(_ size: Int, _ config: @escaping @Sendable (Int) throws -> TrainingConfig,
                  directory: String) throws -> [Result<TrainingRun.Outcome, Error>] {
        try InProcessWorld.run(size: size) { comm in
            Result { try TrainingRun(config: try config(comm.rank), options: .init(runDirectory: directory),
                                     communicator: comm) { _ in }.run() }
        }
    }

    func records(_ directory: String) throws -> [[String: Any]] {
        try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func status(_ directory: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/status.json"))) as! [String: Any]
    }

    func testTwoRanks_finishWithIdenticalReplicasAfterEveryStep() throws {
        let c = try config()
        let outcomes = try runRanks(2, { _ in c }, directory: root + "/two")
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
        let steps = try records(root + "/two").filter { $0["kind"] as? String == "step" }
        XCTAssertEqual(steps.count, 3)
        XCTAssertTrue(steps.allSatisfy { $0["replicas_identical"] as? Bool == true }, "\(steps)")
        XCTAssertTrue(steps.allSatisfy { $0["samples"] as? Int == 4 }, "every step covers the global batch")
        XCTAssertTrue(steps.allSatisfy { ($0["bytes_sent"] as? Int ?? 0) > 0 })
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/two/rank1"), "only rank 0 writes")
    }

    func testEachRank_writesItsOwnLog_withItsSetupAndDebugStepLines() throws {
        let c = try config(), directory = root + "/logs"
        let outcomes = try InProcessWorld.run(size: 2) { comm in
            Result { () throws -> TrainingRun.Outcome in
                var options = TrainingRun.Options(runDirectory: directory)
                options.logLevel = .debug
                return try TrainingRun(config: c, options: options, communicator: comm) { _ in }.run()
            }
        }
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
        var losses: [[String]] = []
        for rank in 0..<2 {
            let text = try String(contentsOfFile: RankLog.path(runDirectory: directory, rank: rank), encoding: .utf8)
            let lines = text.split(separator: "\n")
            XCTAssertTrue(lines.allSatisfy { $0.contains(" rank \(rank) ") }, "rank \(rank)'s log holds its own lines only")
            XCTAssertTrue(lines.contains { $0.contains(" info data: ") }, "every rank logs its setup")
            let steps = lines.filter { $0.contains(" debug step ") }
            XCTAssertEqual(steps.count, 3, "one line per step: \(steps)")
            losses.append(steps.map { String($0.split(separator: " ").drop { $0 != "loss_sum" }.dropFirst().first ?? "") })
        }
        XCTAssertTrue(losses.allSatisfy { $0.allSatisfy { Double($0)?.isFinite == true } }, "\(losses)")
        XCTAssertNotEqual(losses[0], losses[1], "each rank logs its own slice's losses")
        let leader = try String(contentsOfFile: RankLog.path(runDirectory: directory, rank: 0), encoding: .utf8)
        XCTAssertTrue(leader.contains("finished"), "rank 0's log holds what it said")
    }

    /// lr 1e30: the first update overflows, the next step's loss is not finite, every rank stops
    /// there with the same error, status says failed, and the weights of the last good step remain.
    func testNonFiniteLoss_stopsEveryRankAtTheSameStepKeepingTheLastGoodWeights() throws {
        let c = try config(optim: "lr: 1.0e+30, sam_rho: 0")
        let outcomes = try runRanks(2, { _ in c }, directory: root + "/nan")
        var steps: [Int] = []
        for o in outcomes {
            guard case .failure(RunError.nonFinite(let step, _, _, _)) = o else { return XCTFail("\(o)") }
            steps.append(step)
        }
        XCTAssertEqual(Set(steps).count, 1, "all ranks stop at the same step")
        let s = try status(root + "/nan")
        XCTAssertEqual(s["state"] as? String, "failed")
        XCTAssertTrue((s["message"] as? String)?.contains("not finite") ?? false, "\(s)")
        let (_, store) = QCSModel.build(try config().model)
        _ = try OfficialWeights.load(root + "/nan/weights/latest.safetensors", into: store)
        XCTAssertTrue(store.values.array.allSatisfy { $0.isFinite }, "the exported weights are the last finite ones")
        // The metrics are valid JSON even though the loss was NaN.
        XCTAssertFalse(try records(root + "/nan").isEmpty)
    }

    func testNonFiniteLoss_skipStepDropsTheStepOnEveryRankAndGoesOn() throws {
        let c = try config(optim: "lr: 1.0e+30, sam_rho: 0", train: ", epochs: 1, on_nonfinite: skip_step")
        let outcomes = try runRanks(2, { _ in c }, directory: root + "/skip")
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
        let s = try status(root + "/skip")
        XCTAssertEqual(s["state"] as? String, "finished")
        XCTAssertGreaterThan(s["skipped_steps"] as? Int ?? 0, 0, "\(s)")
        let steps = try records(root + "/skip").filter { $0["kind"] as? String == "step" }
        XCTAssertTrue(steps.contains { $0["skipped"] as? Bool == true })
        XCTAssertTrue(steps.allSatisfy { $0["replicas_identical"] as? Bool == true })
    }

    /// rank_weights [3, 1]: rank 0 computes 3 of every 4 quadruplets; the gradient stays the
    /// batch's mean and the replicas stay identical.
    func testFixedRankWeights_shareEachBatchInProportion() throws {
        let c = try config(distributed: ", rank_weights: [3, 1]")
        let outcomes = try runRanks(2, { _ in c }, directory: root + "/weights")
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
        let steps = try records(root + "/weights").filter { $0["kind"] as? String == "step" }
        XCTAssertEqual(steps.count, 3)
        XCTAssertTrue(steps.allSatisfy { $0["samples"] as? Int == 4 && $0["replicas_identical"] as? Bool == true })
    }

    func testRankSpeeds_weightRanksByQuadrupletsPerComputeSecond() {
        var speeds = RankSpeeds(window: 2)
        XCTAssertNil(speeds.weights)
        func decision(_ samples: [Int], _ seconds: [Double]) -> StepDecision {
            StepDecision(reports: zip(samples, seconds).map { n, t in
                var r = RankReport()
                r.samples = n
                r.computeSeconds = t
                return r
            })
        }
        speeds.record(decision([4, 4], [1, 2]))
        XCTAssertEqual(speeds.weights, [4, 2])
        speeds.record(decision([6, 2], [1, 1]))
        speeds.record(decision([6, 2], [1, 1]))
        XCTAssertEqual(speeds.weights, [6, 2], "only the last `window` steps count")
        speeds.record(decision([0, 2], [0, 1]))
        XCTAssertEqual(speeds.weights, [6, 2], "a rank with no samples keeps its last measurement")
    }

    func testAutoRankWeights_trainWithIdenticalReplicasOverTwoEpochs() throws {
        let c = try config(train: ", epochs: 2", distributed: ", rank_weights: auto")
        let outcomes = try runRanks(2, { _ in c }, directory: root + "/auto")
        for o in outcomes { XCTAssertEqual(try o.get(), .finished) }
        let steps = try records(root + "/auto").filter { $0["kind"] as? String == "step" }
        XCTAssertEqual(steps.count, 6)
        XCTAssertTrue(steps.allSatisfy { $0["samples"] as? Int == 4 && $0["replicas_identical"] as? Bool == true })
    }

    func testMaxSteps_endsTheRunAfterThatManyGlobalSteps() throws {
        var options = TrainingRun.Options(runDirectory: root + "/max")
        options.maxSteps = 2
        let c = try config(train: ", epochs: 3")
        XCTAssertEqual(try TrainingRun(config: c, options: options) { _ in }.run(), .finished)
        let s = try status(root + "/max")
        XCTAssertEqual(s["state"] as? String, "finished")
        XCTAssertEqual(s["step"] as? Int, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/max/weights/latest.safetensors"))
    }

    func weights(_ directory: String) throws -> ([Float], [Float]) {
        let (_, store) = QCSModel.build(try config().model, seed: 77)
        _ = try OfficialWeights.load(directory + "/weights/latest.safetensors", into: store)
        return (store.values.array, store.bufferValues.array)
    }

    /// Save at step 4 (--max-steps), resume: the same parameters and running statistics, bit for
    /// bit, as the uninterrupted 6-step run: everything a step depends on is restored or follows the cursor.
    func testResume_atTheSameWorldSize_isBitIdentical() throws {
        let c = try config(train: ", epochs: 2")
        var full = TrainingRun.Options(runDirectory: root + "/full")
        full.logEvery = 100
        XCTAssertEqual(try TrainingRun(config: c, options: full) { _ in }.run(), .finished)
        var first = TrainingRun.Options(runDirectory: root + "/split")
        first.maxSteps = 4
        XCTAssertEqual(try TrainingRun(config: c, options: first) { _ in }.run(), .finished)
        var lines: [String] = []
        var second = TrainingRun.Options(runDirectory: root + "/split")
        second.resume = .auto
        XCTAssertEqual(try TrainingRun(config: c, options: second) { lines.append($0) }.run(), .finished)
        XCTAssertTrue(lines.contains { $0.contains("resume: ") && $0.contains("step 4") }, "\(lines)")
        let (a, b) = (try weights(root + "/full"), try weights(root + "/split"))
        XCTAssertTrue(a.0 == b.0, "parameters differ after resuming")
        XCTAssertTrue(a.1 == b.1, "running statistics differ after resuming")
        XCTAssertEqual(try status(root + "/split")["step"] as? Int, 6)
    }

    /// Checkpoints written in the background (the default) are the files a synchronous save
    /// writes, shard for shard, and training is the same bit for bit: the copy is taken at the
    /// same step boundary. Two ranks, a checkpoint every step, the last one waited for at the end.
    func testBackgroundCheckpoints_areTheSynchronousOnesAndChangeNoBitOfTraining() throws {
        var c = try config(train: ", epochs: 2")
        c.run.maxStepsPerEpoch = 2
        c.checkpoint.every = 1
        c.checkpoint.keep = 10
        for background in [true, false] {
            c.checkpoint.background = background
            let config = c
            let outcomes = try runRanks(2, { _ in config }, directory: root + "/background-\(background)")
            for outcome in outcomes { XCTAssertEqual(try outcome.get(), .finished) }
        }
        let (a, b) = (try weights(root + "/background-true"), try weights(root + "/background-false"))
        XCTAssertTrue(a.0 == b.0 && a.1 == b.1, "background checkpoints changed the training")
        for step in 1...4 {
            let name = CheckpointManifest.directoryName(step: step)
            let x = try CheckpointManifest.read(root + "/background-true/checkpoints/" + name)
            let y = try CheckpointManifest.read(root + "/background-false/checkpoints/" + name)
            XCTAssertEqual(x.shards, y.shards, name)
            XCTAssertEqual(x.metadata["state"], y.metadata["state"], name)
        }
        XCTAssertEqual(try String(contentsOfFile: root + "/background-true/checkpoints/latest", encoding: .utf8),
                       CheckpointManifest.directoryName(step: 4))
        XCTAssertEqual(try status(root + "/background-true")["state"] as? String, "finished")
    }

    func testRunDirectoryThatHoldsARun_isRefusedWithoutResume() throws {
        var options = TrainingRun.Options(runDirectory: root + "/held")
        options.maxSteps = 1
        let c = try config()
        XCTAssertEqual(try TrainingRun(config: c, options: options) { _ in }.run(), .finished)
        XCTAssertThrowsError(try TrainingRun(config: c, options: options) { _ in }.run()) {
            guard case RunError.runDirectoryHoldsARun = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue("\($0)".contains("--resume auto"))
        }
    }

    func testResume_fallsBackPastACorruptCheckpointNamingIt() throws {
        var c = try config(train: ", epochs: 2")
        c.checkpoint.every = 1
        var options = TrainingRun.Options(runDirectory: root + "/fallback")
        options.maxSteps = 3
        XCTAssertEqual(try TrainingRun(config: c, options: options) { _ in }.run(), .finished)
        let newest = root + "/fallback/checkpoints/step-000000003/shard-00000-of-00001.bin.zst"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        bytes[bytes.count / 2] ^= 0x11
        try bytes.write(to: URL(fileURLWithPath: newest))
        var lines: [String] = []
        options.resume = .auto
        options.maxSteps = nil
        XCTAssertEqual(try TrainingRun(config: c, options: options) { lines.append($0) }.run(), .finished)
        XCTAssertTrue(lines.contains { $0.contains("skipped step-000000003") && $0.contains("SHA-256") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("resume: ") && $0.contains("step 2") }, "\(lines)")
    }

    func testRanksWithDifferentConfigs_refuseToTrainOnEveryRank() throws {
        let outcomes = try runRanks(2, { rank in try self.config(train: rank == 1 ? ", epochs: 1, seed: 7" : ", epochs: 1") },
                                    directory: root + "/mismatch")
        for o in outcomes {
            guard case .failure(CoordinationError.ranksDisagree(let rank, let what)) = o else { return XCTFail("\(o)") }
            XCTAssertEqual(rank, 1)
            XCTAssertEqual(what, ["configuration"])
        }
    }

    func testRanksWithDifferentCommandLines_disagree() throws {
        let c = try config()
        let results = try InProcessWorld.run(size: 2) { comm -> Result<Void, Error> in
            var options = TrainingRun.Options(runDirectory: "unused")
            options.maxSteps = comm.rank == 0 ? 5 : 6
            return Result { try WorldAgreement(config: c, options: options, train: [], test: [], parameters: 1).check(over: comm) }
        }
        for r in results {
            guard case .failure(CoordinationError.ranksDisagree(1, ["configuration"])) = r else { return XCTFail("\(r)") }
        }
    }

    func testReplicaCheck_namesTheRankThatDrifted() throws {
        let results = try InProcessWorld.run(size: 3) { comm -> Result<Bool, Error> in
            let (_, store) = QCSModel.build(.tiny, seed: 1)
            if comm.rank == 2 { store.values.data[17] += 1e-6 }
            return Result { try ReplicaCheck(every: 1).run(store, step: 4, over: comm) }
        }
        for r in results {
            guard case .failure(CoordinationError.replicasDiverged(let step, let ranks)) = r else { return XCTFail("\(r)") }
            XCTAssertEqual(step, 4)
            XCTAssertEqual(ranks, [2])
        }
    }

    func testStepDecision_gathersEveryRanksRequestsAndSums() throws {
        let decisions = try InProcessWorld.run(size: 3) { comm -> StepDecision in
            var r = RankReport()
            r.samples = comm.rank
            r.checkpointRequested = comm.rank == 2
            r.stopSignal = comm.rank == 1 ? SIGTERM : 0
            r.failed = comm.rank == 0
            r.figures = StepFigures(lossSum: Double(comm.rank), baseLossSum: 0, crossLossSum: 0, baseCorrect: 1, crossCorrect: 0)
            return try StepDecision.gather(r, over: comm)
        }
        for d in decisions {
            XCTAssertEqual(d, decisions[0], "every rank decides the same")
            XCTAssertEqual(d.samples, 3)
            XCTAssertEqual(d.figures, StepFigures(lossSum: 3, baseLossSum: 0, crossLossSum: 0, baseCorrect: 3, crossCorrect: 0))
            XCTAssertEqual(d.stopSignal, SIGTERM)
            XCTAssertTrue(d.checkpointRequested)
            XCTAssertEqual(d.failedRanks, [0])
        }
    }
}
