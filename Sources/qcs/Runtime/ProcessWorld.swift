import Distributed
import Foundation

/// This process's place among the ranks of a job. MPI is started only when a launcher started
/// the process (mpirun/Open MPI, or a PMI launcher such as srun sets the variables below); a
/// plain `qcs eval` is a world of one and never touches MPI, so it runs where MPI cannot start.
final class ProcessWorld {
    let rank: Int
    let size: Int
    private let mpi: MPIEnvironment?

    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        if Self.launcherVariables.contains(where: { environment[$0] != nil }) {
            let mpi = try MPIEnvironment()
            self.mpi = mpi
            rank = mpi.rank
            size = mpi.size
        } else {
            mpi = nil
            rank = 0
            size = 1
        }
    }

    var isLeader: Bool { rank == 0 }

    /// Element-wise sum over all ranks (identity in a world of one).
    func sum(_ values: [Float]) throws -> [Float] {
        guard let mpi else { return values }
        var v = values
        try mpi.allreduceSum(&v)
        return v
    }

    func finish() throws { try mpi?.finalize() }
}
