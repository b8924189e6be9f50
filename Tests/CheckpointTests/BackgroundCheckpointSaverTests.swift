import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed

/// The background saver writes exactly the files a synchronous save writes, from a copy taken when
/// it is asked, so training may change the state at once; its failures reach every rank.
final class BackgroundCheckpointSaverTests: ScratchTestCase {
    /// A replicated buffer, a ZeRO-1 style slice this rank holds, and a per-rank buffer.
    final class RankState: @unchecked Sendable {
        static let count = 9_001
        let parameters = Tensor(zeros: [count])
        let slice: Tensor
        let held: Range<Int>
        let residual: Tensor

        init(rank: Int, worldSize: Int, salt: Float) {
            held = ShardedCheckpoint.slice(count: Self.count, rank: rank, worldSize: worldSize)
            slice = Tensor(zeros: [held.count])
            residual = Tensor(zeros: [3 + rank])
            fill(salt)
        }

        func fill(_ salt: Float) {
            for i in 0..<parameters.count { parameters.data[i] = salt + Float(i) * 0.125 }
            for i in 0..<slice.count { slice.data[i] = -salt - Float(held.lowerBound + i) }
            for i in 0..<residual.count { residual.data[i] = salt * 10 + Float(i) }
        }

        var buffers: [CheckpointBuffer] {
            [CheckpointBuffer(name: "parameters", tensor: parameters),
             CheckpointBuffer(name: "optimizer.exp_avg", values: slice.data, count: Self.count, owner: slice.storage, held: held),
             CheckpointBuffer(name: "compression.residual", tensor: residual, perRank: true)]
        }
    }

    func testBackgroundSaves_writeTheFilesASynchronousSaveWrites_fromTheStateWhenAsked() throws {
        let (synchronous, background) = (scratch + "/sync", scratch + "/background")
        _ = try InProcessWorld.run(size: 3) { comm in
            let state = RankState(rank: comm.rank, worldSize: 3, salt: 1)
            try withExtendedLifetime(state) {
                for (step, salt) in [(4, Float(1)), (8, Float(2))] {
                    state.fill(salt)
                    try ShardedCheckpoint.save(state.buffers, step: step, metadata: ["salt": "\(salt)"], root: synchronous,
                                               over: comm, frameBytes: 4096)
                }
                let saver = try BackgroundCheckpointSaver(over: comm)
                for (step, salt) in [(4, Float(1)), (8, Float(2))] {
                    state.fill(salt)
                    try saver.save(state.buffers, tensors: [], step: step, metadata: ["salt": "\(salt)"], root: background,
                                   frameBytes: 4096, tag: "step \(step)")
                    state.fill(salt + 100)  // training goes on at once: the save must not see this
                }
                try saver.wait()
                let finished = saver.takeFinished()
                XCTAssertEqual(finished.map(\.step), [4, 8])
                XCTAssertEqual(finished.map(\.tag), ["step 4", "step 8"])
                XCTAssertTrue(saver.takeFinished().isEmpty)
            }
        }
        for step in ["step-000000004", "step-000000008"] {
            let a = try CheckpointManifest.read(synchronous + "/" + step), b = try CheckpointManifest.read(background + "/" + step)
            XCTAssertEqual(a, b, step)
            XCTAssertEqual(try ShardedCheckpoint.verify(background + "/" + step).count, 0)
            for shard in a.shards {
                XCTAssertEqual(FileManager.default.contents(atPath: synchronous + "/" + step + "/" + shard.file),
                               FileManager.default.contents(atPath: background + "/" + step + "/" + shard.file), shard.file)
            }
        }
        XCTAssertEqual(try String(contentsOfFile: background + "/latest", encoding: .utf8), "step-000000008")
    }

    func testAFailedBackgroundSave_isThrownByTheNextCallOnEveryRank_andPublishesNothing() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let target = scratch + "/checkpoints"
        try "in the way".write(toFile: target, atomically: true, encoding: .utf8)
        let outcomes = try InProcessWorld.run(size: 2) { comm -> String in
            let state = RankState(rank: comm.rank, worldSize: 2, salt: 1)
            return withExtendedLifetime(state) {
                do {
                    let saver = try BackgroundCheckpointSaver(over: comm)
                    try saver.save(state.buffers, tensors: [], step: 3, metadata: [:], root: target, frameBytes: 4096)
                    try saver.wait()
                    return "no error"
                } catch {
                    return "\(error)"
                }
            }
        }
        for text in outcomes { XCTAssertTrue(text.contains("cannot create \(target)/step-000000003.tmp"), text) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/latest"))
    }

    func testASaveAskedForWhileOneIsInFlight_waitsUntilItIsPublished() throws {
        let root = scratch
        let seen = try InProcessWorld.run(size: 2) { comm -> Bool in
            let state = RankState(rank: comm.rank, worldSize: 2, salt: 1)
            return try withExtendedLifetime(state) {
                let saver = try BackgroundCheckpointSaver(over: comm)
                // Frames of 4 bytes make the first save slow enough to be still in flight.
                try saver.save(state.buffers, tensors: [], step: 1, metadata: [:], root: root, frameBytes: 4)
                let second = try saver.save(state.buffers, tensors: [], step: 2, metadata: [:], root: root, frameBytes: 4096)
                // The first save's manifest is in place on every rank once the second has been taken.
                let published = FileManager.default.fileExists(atPath: root + "/step-000000001/manifest.json")
                try saver.wait()
                XCTAssertEqual(saver.takeFinished().map(\.step), [1, 2])
                XCTAssertGreaterThan(saver.stagingBytes, 0)
                XCTAssertGreaterThanOrEqual(second.seconds, second.waitedSeconds)
                return published
            }
        }
        XCTAssertEqual(seen, [true, true])
        XCTAssertEqual(try String(contentsOfFile: root + "/latest", encoding: .utf8), "step-000000002")
    }
}
