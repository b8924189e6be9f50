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
