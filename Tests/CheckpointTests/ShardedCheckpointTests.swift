import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed

final class ShardedCheckpointTests: ScratchTestCase {
    var root: String { scratch }

    /// Three buffers of awkward sizes, their contents a function of (buffer, index, salt).
    final class State: @unchecked Sendable {
        static let counts = ["parameters": 10_001, "buffers": 7, "optimizer.exp_avg": 10_001]
        let storage: [String: Storage]
        init(salt: Float) {
            var s: [String: Storage] = [:]
            for (name, count) in Self.counts {
                let st = Storage(zeros: count)
                for i in 0..<count { st.pointer[i] = salt + Float(i) * 0.5 + Float(name.count) }
                s[name] = st
            }
            storage = s
        }
        var buffers: [CheckpointBuffer] {
            ["parameters", "buffers", "optimizer.exp_avg"].map {
                CheckpointBuffer(name: $0, values: storage[$0]!.pointer, count: Self.counts[$0]!, owner: storage[$0]!)
            }
        }
        func values(_ name: String) -> [Float] {
            Array(UnsafeBufferPointer(start: storage[name]!.pointer, count: Self.counts[name]!))
        }
    }

    func save(ranks: Int, step: Int = 12) throws -> String {
        let root = self.root
        let dirs = try InProcessWorld.run(size: ranks) { comm -> String in
            // The buffers point into `state`: it must outlive the save.
            let state = State(salt: 1)
            return try withExtendedLifetime(state) {
                try ShardedCheckpoint.save(state.buffers, step: step, metadata: ["cursor": "{\"step\":12}"],
                                           root: root, over: comm, frameBytes: 4096)
            }
        }
        return dirs[0]
    }

    func testSaveAtThreeRanks_restoresWholeAtOneAndBySliceAtTwo() throws {
        let dir = try save(ranks: 3)
        XCTAssertEqual(dir, root + "/step-000000012")
        XCTAssertEqual(try String(contentsOfFile: root + "/latest", encoding: .utf8), "step-000000012")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + ".tmp"))
        let reference = State(salt: 1)

        let restored = State(salt: -100)
        let manifest = try withExtendedLifetime(restored) { try ShardedCheckpoint.load(dir, into: restored.buffers) }
        XCTAssertEqual(manifest.worldSize, 3)
        XCTAssertEqual(manifest.shards.map(\.file), (0..<3).map { CheckpointManifest.shardFile(rank: $0, of: 3) })
        XCTAssertEqual(manifest.metadata["cursor"], "{\"step\":12}")
        for name in State.counts.keys { XCTAssertTrue(restored.values(name) == reference.values(name), name) }

        // Two ranks, each restoring only its own slice of every buffer.
        let slices = try InProcessWorld.run(size: 2) { comm -> [String: [Float]] in
            let mine = State(salt: -100)
            _ = try withExtendedLifetime(mine) {
                try ShardedCheckpoint.load(dir, into: mine.buffers) {
                    ShardedCheckpoint.slice(count: State.counts[$0]!, rank: comm.rank, worldSize: 2)
                }
            }
            var out: [String: [Float]] = [:]
            for name in State.counts.keys {
                let r = ShardedCheckpoint.slice(count: State.counts[name]!, rank: comm.rank, worldSize: 2)
                out[name] = Array(mine.values(name)[r])
            }
            return out
        }
        for name in State.counts.keys {
            XCTAssertTrue(slices[0][name]! + slices[1][name]! == reference.values(name), name)
        }
    }

    func testCorruptAndTruncatedShards_areNamedByVerifyAndRefusedByLoad() throws {
        let dir = try save(ranks: 2)
        let shard1 = dir + "/" + CheckpointManifest.shardFile(rank: 1, of: 2)
        var data = try Data(contentsOf: URL(fileURLWithPath: shard1))
        data[data.count / 2] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: shard1))
        let shard0 = dir + "/" + CheckpointManifest.shardFile(rank: 0, of: 2)
        let h = try XCTUnwrap(FileHandle(forUpdatingAtPath: shard0))
        try h.truncate(atOffset: 10)
        try h.close()
        let problems = try ShardedCheckpoint.verify(dir)
        XCTAssertEqual(problems.count, 2)
        XCTAssertTrue(problems.contains { if case .shardTruncated(shard0, _, 10) = $0 { return true } else { return false } })
        XCTAssertTrue(problems.contains { if case .shardChecksumMismatch(shard1, _, _) = $0 { return true } else { return false } })
        let target = State(salt: 0)
        XCTAssertThrowsError(try withExtendedLifetime(target) { try ShardedCheckpoint.load(dir, into: target.buffers) })
    }

    func testMissingManifest_isNotACheckpoint() throws {
        let dir = try save(ranks: 1)
        try FileManager.default.removeItem(atPath: dir + "/manifest.json")
        let target = State(salt: 0)
        XCTAssertThrowsError(try withExtendedLifetime(target) { try ShardedCheckpoint.load(dir, into: target.buffers) }) {
            XCTAssertEqual($0 as? CheckpointError, .manifestMissing(directory: dir))
        }
    }

    func testOtherBuffers_areRefusedListingEachDifference() throws {
        let dir = try save(ranks: 1)
        let other = Storage(zeros: 5)
        let buffers = [CheckpointBuffer(name: "parameters", values: other.pointer, count: 5, owner: other),
                       CheckpointBuffer(name: "optimizer.momentum_buffer", values: other.pointer, count: 5, owner: other)]
        XCTAssertThrowsError(try ShardedCheckpoint.load(dir, into: buffers)) { error in
            guard case CheckpointError.buffersDiffer(_, let differences) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(differences, ["parameters has 10001 elements there, 5 here",
                                         "optimizer.momentum_buffer is not in the checkpoint"])
        }
    }

    func testSecondSave_movesLatestAndKeepsTheFirst() throws {
        _ = try save(ranks: 2, step: 6)
        _ = try save(ranks: 2, step: 12)
        XCTAssertEqual(try String(contentsOfFile: root + "/latest", encoding: .utf8), "step-000000012")
        XCTAssertNoThrow(try CheckpointManifest.read(root + "/step-000000006"))
    }

    /// A save that cannot even make its folder says why, in the operating system's words.
    func testASaveThatCannotMakeItsFolder_saysWhy() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "in the way".write(toFile: root + "/checkpoints", atomically: true, encoding: .utf8)
        let target = root + "/checkpoints"
        XCTAssertThrowsError(try InProcessWorld.run(size: 1) { comm in
            let state = State(salt: 1)
            return try withExtendedLifetime(state) {
                try ShardedCheckpoint.save(state.buffers, step: 3, metadata: [:], root: target, over: comm)
            }
        }) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("cannot create \(target)/step-000000003.tmp: "), text)
            XCTAssertTrue(text.lowercased().contains("exist") || text.lowercased().contains("directory"), text)
        }
    }
}
