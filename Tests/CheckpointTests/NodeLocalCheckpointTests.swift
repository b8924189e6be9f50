import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed

/// Checkpoints on hosts that share nothing: each host's folder holds its shards and copies of the
/// previous host's, every folder the same manifest; a resume assembles them from the survivors,
/// and a copy that does not check out is never used.
final class NodeLocalCheckpointTests: ScratchTestCase {
    static let count = 5_003

    static func values(salt: Float) -> Tensor {
        let t = Tensor(zeros: [count])
        for i in 0..<t.count { t.data[i] = salt + Float(i) * 0.5 }
        return t
    }

    let paths = NodeCheckpointPaths(runID: "run-1")

    func save(hosts: [String], copies: Int) throws {
        let (root, paths) = (scratch, paths)
        _ = try InProcessWorld.run(size: hosts.count) { comm in
            let map = try HostMap.gather(hosts[comm.rank], over: comm)
            let placement = ShardPlacement.perHost(map, name: "step-000000007", copies: copies) { paths.root(root, host: $0) }
            let values = Self.values(salt: 1)
            try ShardedCheckpoint.save([CheckpointBuffer(name: "parameters", tensor: values)], tensors: [], step: 7, metadata: [:],
                                       placement: placement, over: comm, frameBytes: 4096)
        }
    }

    /// `hosts`' ranks scan their own folders and choose together; rank 0's choice and what each rank loaded.
    func assemble(hosts: [String]) throws -> (choice: CheckpointAssembly.Choice, loaded: [[Float]?]) {
        let (root, paths) = (scratch, paths)
        let results = try InProcessWorld.run(size: hosts.count) { comm -> (CheckpointAssembly.Choice, [Float]?) in
            let map = try HostMap.gather(hosts[comm.rank], over: comm)
            let scan = ReachableCheckpoint.scan(paths.root(root, host: hosts[comm.rank]), tier: .memory)
            let choice = try CheckpointAssembly.choose(scan.found, problems: scan.problems, hosts: map, over: comm)
            guard let assembly = choice.assembly else { return (choice, nil) }
            let into = Self.values(salt: -50)
            try assembly.load(into: [CheckpointBuffer(name: "parameters", tensor: into)], rank: comm.rank, over: comm, chunkBytes: 1000)
            return (choice, into.array)
        }
        return (results[0].0, results.map(\.1))
    }

    func testEachHostKeepsItsShardsAndACopyOfThePreviousHosts_underOneManifest() throws {
        try save(hosts: ["a", "b", "b", "c"], copies: 1)
        let folder = { (host: String) in self.paths.root(self.scratch, host: host) + "/step-000000007" }
        let files = { (host: String) in
            Set(try FileManager.default.contentsOfDirectory(atPath: folder(host)).filter { $0.hasPrefix("shard-") }.map { String($0.prefix(11)) })
        }
        XCTAssertEqual(try files("a"), ["shard-00000", "shard-00003"])
        XCTAssertEqual(try files("b"), ["shard-00001", "shard-00002", "shard-00000"])
        XCTAssertEqual(try files("c"), ["shard-00003", "shard-00001", "shard-00002"])
        let manifests = try ["a", "b", "c"].map { try Data(contentsOf: URL(fileURLWithPath: folder($0) + "/manifest.json")) }
        XCTAssertEqual(Set(manifests).count, 1, "every host's manifest is the same file")
        let manifest = try CheckpointManifest.read(folder("b"))
        XCTAssertEqual(manifest.shards.map(\.holders), [["a", "b"], ["b", "c"], ["b", "c"], ["c", "a"]])
        XCTAssertEqual(try String(contentsOfFile: paths.root(scratch, host: "c") + "/latest", encoding: .utf8), "step-000000007")
    }

    func testTheSurvivorsAssembleTheLostHostsShardFromItsCopy_andABadCopyIsNeverUsed() throws {
        try save(hosts: ["a", "b", "c"], copies: 1)
        try FileManager.default.removeItem(atPath: paths.root(scratch, host: "b"))
        let (choice, loaded) = try assemble(hosts: ["a", "c"])
        let assembly = try XCTUnwrap(choice.assembly, "\(choice.skipped)")
        XCTAssertEqual(assembly.account, "memory snapshot at step 7 (shard 1 from its copy on c; b is not in this job)")
        XCTAssertEqual(assembly.providers, [.rank(0), .rank(1), .everyRank])
        for values in loaded { XCTAssertTrue(values == Self.values(salt: 1).array) }

        let copy = paths.root(scratch, host: "c") + "/step-000000007/" + CheckpointManifest.shardFile(rank: 1, of: 3)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: copy))
        let (again, nothing) = try assemble(hosts: ["a", "c"])
        XCTAssertNil(again.assembly)
        XCTAssertTrue(again.skipped.contains { $0.hasPrefix("memory snapshot at step 7: ") && $0.contains("SHA-256") }, "\(again.skipped)")
        XCTAssertEqual(nothing.count, 2)
        XCTAssertTrue(nothing.allSatisfy { $0 == nil })
    }

    /// A tool given one host's folder of a node-local checkpoint names the shards kept elsewhere and where.
    func testOneHostsFolder_namesTheShardsItLacksAndTheirHosts() throws {
        try save(hosts: ["a", "b", "c"], copies: 1)
        let folder = paths.root(scratch, host: "b") + "/step-000000007"
        let into = Self.values(salt: 0)
        XCTAssertThrowsError(try ShardedCheckpoint.load(folder, into: [CheckpointBuffer(name: "parameters", tensor: into)])) {
            XCTAssertTrue("\($0)".contains("kept on other hosts: shard-00002-of-00003.bin.zst (on c, a)"), "\($0)")
        }
        XCTAssertEqual(try ShardedCheckpoint.verify(folder).map(\.description),
                       [CheckpointError.shardsOnOtherHosts(directory: folder, shards: ["shard-00002-of-00003.bin.zst (on c, a)"]).description])
        // With the missing file copied in from a host that holds it, the folder is a whole checkpoint.
        let file = CheckpointManifest.shardFile(rank: 2, of: 3)
        try FileManager.default.copyItem(atPath: paths.root(scratch, host: "c") + "/step-000000007/" + file, toPath: folder + "/" + file)
        _ = try ShardedCheckpoint.load(folder, into: [CheckpointBuffer(name: "parameters", tensor: into)])
        XCTAssertTrue(into.array == Self.values(salt: 1).array)
    }

    /// Ranks of one host that see the same folder check each shard once between them, and a bad
    /// verdict holds for all of them: the shard then comes from the other host's copy.
    func testRanksOfAHostShareTheChecks_andOnesBadVerdictHoldsForAll() throws {
        try save(hosts: ["a", "a", "b", "b"], copies: 1)
        let folder = { (host: String) in self.paths.root(self.scratch, host: host) + "/step-000000007" }
        let scans = ["a", "a", "b", "b"].enumerated().map { ($0.offset, ReachableCheckpoint.scan(self.paths.root(self.scratch, host: $0.element), tier: .memory).found[0]) }
        let checker = CheckpointAssembly.checkers(scans, shardCount: 4, hosts: HostMap(hostOfRank: ["a", "a", "b", "b"]))
        XCTAssertEqual(checker[0], [0: 0, 1: 1, 2: 0, 3: 1])
        XCTAssertEqual(checker[1], checker[0])
        XCTAssertEqual(checker[3], [0: 2, 1: 3, 2: 2, 3: 3])

        // Shard 2 on host a is checked by rank 0 alone; rank 1 must not take it either.
        let bad = folder("a") + "/" + CheckpointManifest.shardFile(rank: 2, of: 4)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bad))
        bytes[bytes.count / 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: bad))
        let (choice, loaded) = try assemble(hosts: ["a", "a", "b", "b"])
        XCTAssertEqual(try XCTUnwrap(choice.assembly, "\(choice.skipped)").providers, [.everyRank, .everyRank, .rank(2), .everyRank])
        for values in loaded { XCTAssertTrue(values == Self.values(salt: 1).array) }
    }

    /// Without copies a lost host's snapshot cannot be completed: the resume passes it over, saying
    /// which shard is missing and where it was written, and takes the older one in the run directory.
    func testWithoutCopies_aLostHostsSnapshotIsPassedOverForTheSharedCheckpoint() throws {
        try save(hosts: ["a", "b", "c"], copies: 0)
        let shared = scratch + "/run/checkpoints"
        _ = try InProcessWorld.run(size: 3) { comm in
            try ShardedCheckpoint.save([CheckpointBuffer(name: "parameters", tensor: Self.values(salt: 2))], step: 4, metadata: [:],
                                       root: shared, over: comm, frameBytes: 4096)
        }
        try FileManager.default.removeItem(atPath: paths.root(scratch, host: "b"))
        let (root, paths) = (scratch, paths)
        let hosts = ["a", "c"]
        let results = try InProcessWorld.run(size: 2) { comm -> (CheckpointAssembly.Choice, [Float]) in
            let map = try HostMap.gather(hosts[comm.rank], over: comm)
            let memory = ReachableCheckpoint.scan(paths.root(root, host: hosts[comm.rank]), tier: .memory)
            let run = ReachableCheckpoint.scan(shared, tier: .shared)
            let choice = try CheckpointAssembly.choose(memory.found + run.found, problems: memory.problems + run.problems,
                                                       hosts: map, over: comm)
            let into = Self.values(salt: -50)
            try choice.assembly?.load(into: [CheckpointBuffer(name: "parameters", tensor: into)], rank: comm.rank, over: comm)
            return (choice, into.array)
        }
        let choice = results[0].0
        XCTAssertEqual(choice.skipped, ["memory snapshot at step 7: shard 1 (written on b) is on no host of this job"])
        XCTAssertEqual(choice.assembly?.tier, .shared)
        XCTAssertEqual(choice.assembly?.manifest.step, 4)
        XCTAssertEqual(choice.assembly?.providers, [.everyRank, .everyRank, .everyRank])
        for (_, values) in results { XCTAssertTrue(values == Self.values(salt: 2).array) }
    }

    func testACopyOnAHostThatCannotWrite_failsTheSaveOnEveryRankAndPublishesNothing() throws {
        // Host c's folder is a file: its leader cannot make the temporary directory.
        try FileManager.default.createDirectory(atPath: scratch + "/run-1", withIntermediateDirectories: true)
        try "in the way".write(toFile: paths.root(scratch, host: "c"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try save(hosts: ["a", "b", "c"], copies: 1)) {
            XCTAssertTrue("\($0)".contains("cannot create"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths.root(scratch, host: "a") + "/step-000000007"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths.root(scratch, host: "a") + "/step-000000007.tmp"))
    }
}
