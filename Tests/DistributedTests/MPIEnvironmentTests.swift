import XCTest
@testable import Distributed

final class MPIEnvironmentTests: XCTestCase {
    /// A single process is a valid MPI world of size 1 (singleton init); multi-rank behaviour is
    /// covered by `qcs-mpi-check` under mpirun in scripts/test.
    func testSingletonWorld_passesEveryCollectiveCheck() throws {
        let mpi = try MPIEnvironment()
        XCTAssertEqual(mpi.size, 1)
        XCTAssertEqual(mpi.rank, 0)
        XCTAssertEqual(try CommunicatorSelfTest.run(mpi.world), [])
        var v: [Float] = [3, -1.5]
        try mpi.allreduceSum(&v)
        XCTAssertEqual(v, [3, -1.5])
        try mpi.finalize()
    }
}

final class LauncherWatchTests: XCTestCase {
    /// A parent pid that is not this process's parent stands for a launcher that went away: the
    /// watch reports it within about one interval, naming the rank.
    func testAChangedParent_isReportedWithinAnInterval() {
        let reported = expectation(description: "reported")
        let start = Date()
        let watch = LauncherWatch(rank: 3, parent: getppid() + 100_000, interval: 0.05) { message in
            XCTAssertTrue(message.hasPrefix("rank 3: its launcher (parent pid"), message)
            reported.fulfill()
        }
        wait(for: [reported], timeout: 5)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        withExtendedLifetime(watch) {}
    }

    /// The real parent: nothing is reported.
    func testTheSameParent_isNotReported() {
        let reported = expectation(description: "reported")
        reported.isInverted = true
        let watch = LauncherWatch(rank: 0, parent: getppid(), interval: 0.05) { _ in reported.fulfill() }
        wait(for: [reported], timeout: 0.5)
        withExtendedLifetime(watch) {}
    }
}
