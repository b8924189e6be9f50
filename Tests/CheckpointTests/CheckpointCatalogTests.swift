import XCTest
@testable import Checkpoint

/// `qcs checkpoint list`'s account: copies of one checkpoint in several folders are one entry,
/// complete when every shard is somewhere; each shard named with its writer and its copies.
final class CheckpointCatalogTests: XCTestCase {
    func found(_ tier: CheckpointTier, step: Int, digest: String = "d", shards: [Int], of count: Int = 3,
               writers: [String]? = ["a", "b", "c"]) -> ReachableCheckpoint {
        ReachableCheckpoint(tier: tier, directory: "/\(tier)/step-\(step)", step: step, manifestDigest: digest, shards: shards,
                            shardCount: count, writers: writers)
    }

    func testCopiesInSeveralFolders_areOneCheckpoint_completeWhenEveryShardIsSomewhere() {
        let catalog = CheckpointCatalog([
            ("a", [found(.memory, step: 6, shards: [0, 2]), found(.memory, step: 5, shards: [0, 2])]),
            ("c", [found(.memory, step: 6, shards: [2, 1])]),
            ("/run/checkpoints", [found(.shared, step: 4, shards: [0, 1, 2], writers: nil)]),
        ])
        XCTAssertEqual(catalog.entries.map(\.tier), [.memory, .memory, .shared])
        XCTAssertEqual(catalog.entries.map(\.step), [6, 5, 4])
        XCTAssertEqual(catalog.entries.map(\.isComplete), [true, false, true])
        XCTAssertEqual(CheckpointCatalog.describe(catalog.entries[0]),
                       "step 6: complete, 3 shards: 0 on a; 1 on b not seen (+ c); 2 on c (+ a)")
        XCTAssertEqual(CheckpointCatalog.describe(catalog.entries[1]),
                       "step 5: INCOMPLETE, 3 shards: 0 on a; 1 nowhere seen (written on b); 2 on c not seen (+ a)")
        XCTAssertEqual(CheckpointCatalog.describe(catalog.entries[2]), "step 4: complete, 3 shards in /shared/step-4")
    }

    func testTwoCheckpointsOfOneStepWithOtherManifests_areKeptApart() {
        let catalog = CheckpointCatalog([
            ("a", [found(.local, step: 8, digest: "x", shards: [0, 1, 2])]),
            ("b", [found(.local, step: 8, digest: "y", shards: [1])]),
        ])
        XCTAssertEqual(catalog.entries.count, 2)
        XCTAssertEqual(Set(catalog.entries.map(\.isComplete)), [true, false])
    }
}
