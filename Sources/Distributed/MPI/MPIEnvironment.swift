import CMPI

/// The process's MPI library: initialised once (with full thread support, so a communication
/// thread can overlap backward), finalised once. This is the one piece of global state qcs has.
public final class MPIEnvironment {
    public let threadSupport: Int32
    /// MPI_COMM_WORLD, with errors returned instead of aborting.
    public let world: MPICommunicator

    /// Initialises MPI. Errors are returned as `MPIError`, never abort the job.
    public init() throws {
        var provided: Int32 = 0
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        if initialised == 0 {
            try MPIError.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_MULTIPLE), &provided), "MPI_Init_thread")
        } else {
            MPI_Query_thread(&provided)
        }
        threadSupport = provided
        try MPIError.check(MPI_Comm_set_errhandler(qcs_mpi_comm_world(), qcs_mpi_errors_return()),
                           "MPI_Comm_set_errhandler")
        world = try MPICommunicator(comm: qcs_mpi_comm_world(), owned: false)
    }

    /// Whether the library lets several threads call MPI at once, as the gradient exchange's
    /// communication thread does.
    public var supportsConcurrentThreads: Bool { threadSupport >= Int32(MPI_THREAD_MULTIPLE) }

    public var rank: Int { world.rank }
    public var size: Int { world.size }

    /// Sums `values` over all ranks in place.
    public func allreduceSum(_ values: inout [Float]) throws {
        try world.allreduce(&values, .sum)
    }

    public func barrier() throws { try world.barrier() }

    /// Shuts MPI down; call once, after the last communication.
    public func finalize() throws {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { try MPIError.check(MPI_Finalize(), "MPI_Finalize") }
    }
}
