import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed
@testable import QCS
@testable import Trainer

/// Memory snapshots and local checkpoints on hosts that share nothing, with in-process ranks given
/// host names of their own: a host lost with its memory and its disk, the run resumed on the
/// others from the newest snapshot, its missing shard taken from the copy on the next host.
final class NodeCheckpointTests: SyntheticRunTestCase {
    func config(replicas: Int) throws -> TrainingConfig {
        try TrainingConfig.parse(yaml: folder.tinyConfig(
            optim: "lr: 1.0e-3", train: "batch_size: 3, max_steps_per_epoch: 3, epochs: 2, eval_every: 0",
            extra: """
            distributed: {sync_batch_statistics: true}
            checkpoint: {every: 3, memory_every: 1, memory_dir: \(root)/shm, local_dir: "\(root)/disk/{host}", replicas: \(replicas)}
            """), source: "test")
    }

    /// Runs `config` on one in-process rank per host of `hosts`; rank 0's lines, and each rank's outcome.
    func run(_ c: TrainingConfig, hosts: [String], faultAt step: Int? = nil, resume: Bool = false,
             directory: String) throws -> (lines: [String], outcomes: [Result<TrainingRun.Outcome, Error>]) {
        let lines = LineLog()
        let outcomes = try InProcessWorld.run(size: hosts.count) { comm in
            var options = TrainingRun.Options(runDirectory: directory)
            options.hostName = hosts[comm.rank]
            options.resume = resume ? .auto : nil
            options.logEvery = 100
            if let step { options.faults.step = TestFault(kind: .nanInput, rank: 0, step: step, seconds: 0) }
            return Result {
                try TrainingRun(config: c, options: options, communicator: comm) { if comm.isLeader { lines.append($0) } }.run()
            }
        }
        return (lines.all, outcomes)
    }

    func weights(_ directory: String) throws -> [Float] {
        let (_, store) = QCSModel.build(try config(replicas: 0).model, seed: 77)
        _ = try OfficialWeights.load(directory + "/weights/latest.safetensors", into: store)
        return store.values.array
    }

    /// A memory folder without room for the snapshots is refused at start, with the sizes.
    func testAMemoryFolderWithoutRoom_isRefusedAtStartWithTheSizes() throws {
        var c = try config(replicas: 0)
        c.checkpoint.memoryKeep = 100_000_000
        XCTAssertThrowsError(try run(c, hosts: ["h1"], directory: root + "/full").outcomes[0].get()) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("checkpoint.memory_dir") && text.contains("GB free; memory snapshots need about"), text)
            XCTAssertTrue(text.contains("memory_keep 100000000 + 1 being written"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/full/status.json"), "nothing was started")
    }

    func testAHostLostWithItsMemoryAndDisk_isRebuiltFromTheCopyOnTheNextHost() throws {
        let c = try config(replicas: 1)
        _ = try run(c, hosts: ["h1", "h2", "h3"], directory: root + "/whole")
        // The same run fails at step 6 (a NaN under on_nonfinite: stop): snapshots of steps 4 and 5 stay in memory.
        let failed = try run(c, hosts: ["h1", "h2", "h3"], faultAt: 6, directory: root + "/lost")
        XCTAssertThrowsError(try failed.outcomes[0].get())
        let paths = NodeCheckpointPaths(runDirectory: root + "/lost")
        XCTAssertTrue(FileManager.default.fileExists(atPath: paths.root(root + "/shm", host: "h3") + "/step-000000005/manifest.json"))
        // h2 is gone, and its memory and disk with it.
        try FileManager.default.removeItem(atPath: paths.root(root + "/shm", host: "h2"))
        try FileManager.default.removeItem(atPath: paths.root(root + "/disk/h2", host: "h2"))

        let resumed = try run(c, hosts: ["h1", "h3"], resume: true, directory: root + "/lost")
        for outcome in resumed.outcomes { XCTAssertEqual(try outcome.get(), .finished) }
        XCTAssertTrue(resumed.lines.contains {
            $0.hasPrefix("resume: memory snapshot at step 5 (shard 1 from its copy on h3; h2 is not in this job)")
        }, "\(resumed.lines)")
        let (a, b) = (try weights(root + "/whole"), try weights(root + "/lost"))
        XCTAssertEqual(a.count, b.count)
        var worst = 0.0
        for (x, y) in zip(a, b) {
            XCTAssertFalse(x.isNaN || y.isNaN)
            worst = max(worst, Double(abs(x - y)) / (1e-5 + 1e-4 * Double(abs(x))))
        }
        XCTAssertLessThanOrEqual(worst, 1, "resumed on two hosts differs from the uninterrupted three-host run")
        // A finished run leaves no snapshots behind.
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths.root(root + "/shm", host: "h1")))
    }
}

/// Lines rank 0 says, collected across threads.
final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
