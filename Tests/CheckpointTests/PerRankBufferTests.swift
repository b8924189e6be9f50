import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed

/// Per-rank buffers (compression residuals): each rank saves all of its own and gets back exactly
/// its own; a count that differs is refused; resharding leaves them out.
final class PerRankBufferTests: ScratchTestCase {
    /// Rank r's residual: 5 + 3r values (so parts differ in length), a function of (r, i, salt).
    static func residual(rank: Int, salt: Float) -> Tensor {
        let t = Tensor(zeros: [5 + 3 * rank])
        for i in 0..<t.count { t.data[i] = salt + Float(rank) * 100 + Float(i) }
        return t
    }

    static func replicated(salt: Float) -> Tensor {
        let t = Tensor(zeros: [1001])
        for i in 0..<t.count { t.data[i] = salt + Float(i) * 0.25 }
        return t
    }

    func save(ranks: Int) throws -> String {
        let root = scratch
        return try InProcessWorld.run(size: ranks) { comm -> String in
            let params = Self.replicated(salt: 1), mine = Self.residual(rank: comm.rank, salt: 1)
            return try ShardedCheckpoint.save([CheckpointBuffer(name: "parameters", tensor: params),
                                               CheckpointBuffer(name: "compression.residual", tensor: mine, perRank: true)],
                                              step: 3, metadata: [:], root: root, over: comm, frameBytes: 64)
        }[0]
    }

    func testEachRankGetsBackItsOwnPart_atTheSameWorldSize() throws {
        let dir = try save(ranks: 3)
        let manifest = try CheckpointManifest.read(dir)
        XCTAssertEqual(manifest.buffers.map(\.isPerRank), [false, true])
        XCTAssertEqual(manifest.buffers[1].count, 5 + 8 + 11)
        let results = try InProcessWorld.run(size: 3) { comm -> Bool in
            let params = Self.replicated(salt: -7), mine = Self.residual(rank: comm.rank, salt: -7)
            _ = try ShardedCheckpoint.load(dir, into: [CheckpointBuffer(name: "parameters", tensor: params),
                                                       CheckpointBuffer(name: "compression.residual", tensor: mine, perRank: true)],
                                           rank: comm.rank)
            return mine.array == Self.residual(rank: comm.rank, salt: 1).array
                && params.array == Self.replicated(salt: 1).array
        }
        XCTAssertEqual(results, [true, true, true])
    }

    func testAPartOfAnotherLength_isRefusedNamingTheBufferAndRank() throws {
        let dir = try save(ranks: 3)
        let wrong = Tensor(zeros: [6])
        XCTAssertThrowsError(try ShardedCheckpoint.load(dir, into: [CheckpointBuffer(name: "compression.residual", tensor: wrong,
                                                                                     perRank: true)], rank: 0)) { error in
            XCTAssertTrue("\(error)".contains("compression.residual of rank 0 has 5 elements there, 6 here"), "\(error)")
        }
        // A rank the checkpoint never had.
        XCTAssertThrowsError(try ShardedCheckpoint.load(dir, into: [CheckpointBuffer(name: "compression.residual", tensor: wrong,
                                                                                     perRank: true)], rank: 3)) { error in
            XCTAssertTrue("\(error)".contains("holds no part saved by rank 3"), "\(error)")
        }
    }

    func testReshard_leavesPerRankBuffersOutAndKeepsTheRest() throws {
        let dir = try save(ranks: 3)
        let out = scratch + "/resharded"
        let dropped = try CheckpointContents(directory: dir).reshard(worldSize: 2, into: out)
        XCTAssertEqual(dropped, ["compression.residual"])
        let resharded = try CheckpointContents(directory: out)
        XCTAssertEqual(resharded.manifest.buffers.map(\.name), ["parameters"])
        XCTAssertEqual(resharded.buffers["parameters"]!.array, Self.replicated(salt: 1).array)
    }
}
