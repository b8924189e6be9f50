import XCTest
@testable import Distributed

final class CommunicatorTests: XCTestCase {
    func testInProcessWorld_passesEveryCollectiveCheck() throws {
        for size in [1, 2, 3, 4] {
            let failures = try InProcessWorld.run(size: size) { try CommunicatorSelfTest.run($0) }
            XCTAssertEqual(failures.flatMap { $0 }, [], "world of \(size)")
        }
    }

    func testLocalCommunicator_passesEveryCollectiveCheck() throws {
        XCTAssertEqual(try CommunicatorSelfTest.run(LocalCommunicator()), [])
    }

    func testInProcessWorld_localRanksFollowRanksPerNode() throws {
        let places = try InProcessWorld.run(size: 5, ranksPerNode: 2) { [$0.localRank, $0.localSize] }
        XCTAssertEqual(places, [[0, 2], [1, 2], [0, 2], [1, 2], [0, 1]])
    }

    func testInProcessWorld_rankThatSkipsACollectiveFailsTheOthersInsteadOfHanging() {
        let start = Date()
        XCTAssertThrowsError(try InProcessWorld.run(size: 3, timeout: 2) { comm in
            if comm.rank == 1 { return }
            try comm.barrier()
        }) { error in
            guard case CommunicationError.timedOut = error else { return XCTFail("unexpected \(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }

    func testMismatchedCounts_areAnErrorNotGarbage() {
        XCTAssertThrowsError(try InProcessWorld.run(size: 2) { comm in
            var v = [Float](repeating: 1, count: comm.rank + 1)
            try comm.allreduce(&v, .sum)
        })
    }
}
