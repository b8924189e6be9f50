import Foundation

/// This process's place among the ranks of a job. MPI is started only when a launcher started
/// the process (mpirun/Open MPI, or a PMI launcher such as srun sets the variables below); a
/// plain `qcs eval` is a world of one and never touches MPI, so it runs where MPI cannot start.
public final class ProcessWorld {
    public let communicator: Communicator
    private let mpi: MPIEnvironment?
    private var launcherWatch: LauncherWatch?

    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]

    /// Whether a launcher started this process (so MPI must be initialised).
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return launcherVariables.contains { environment[$0] != nil }
    }

    /// - Parameter concurrentThreads: the caller will use MPI from a second thread (training's
    ///   gradient exchange): refuse an MPI without MPI_THREAD_MULTIPLE up front.
    public init(concurrentThreads: Bool = false) throws {
        if Self.isLaunched {
            let mpi = try MPIEnvironment()
            guard !concurrentThreads || mpi.supportsConcurrentThreads || mpi.size == 1 else {
                throw CommunicationError.threadSupport(provided: Int(mpi.threadSupport))
            }
            self.mpi = mpi
            communicator = mpi.world
            launcherWatch = LauncherWatch(rank: mpi.rank)
        } else {
            mpi = nil
            communicator = LocalCommunicator()
        }
    }

    public var rank: Int { communicator.rank }
    public var size: Int { communicator.size }
    public var isLeader: Bool { communicator.rank == 0 }

    /// Element-wise sum over all ranks (identity in a world of one).
    public func sum(_ values: [Float]) throws -> [Float] {
        var v = values
        try communicator.allreduce(&v, .sum)
        return v
    }

    /// Shuts MPI down after the last communication (nothing in a world of one).
    public func finish() throws { try mpi?.finalize() }
}
