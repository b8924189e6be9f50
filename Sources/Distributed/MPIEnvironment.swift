import CMPI

/// The process's MPI library: initialised once (with full thread support, so a communication
/// thread can overlap backward), finalised once. This is the one piece of global state qcs has.
public final class MPIEnvironment {
    public let rank: Int
    public let size: Int
    public let threadSupport: Int32

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
        try MPIError.check(MPI_Comm_set_errhandler(qcs_mpi_comm_world(), qcs_mpi_errors_return()),
                           "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try MPIError.check(MPI_Comm_rank(qcs_mpi_comm_world(), &r), "MPI_Comm_rank")
        try MPIError.check(MPI_Comm_size(qcs_mpi_comm_world(), &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        threadSupport = provided
    }

    /// Sums `values` over all ranks in place.
    public func allreduceSum(_ values: inout [Float]) throws {
        let n = Int32(values.count)
        try values.withUnsafeMutableBufferPointer { buf in
            try MPIError.check(MPI_Allreduce(qcs_mpi_in_place(), buf.baseAddress, n, qcs_mpi_float(),
                                             qcs_mpi_op_sum(), qcs_mpi_comm_world()), "MPI_Allreduce")
        }
    }

    public func barrier() throws {
        try MPIError.check(MPI_Barrier(qcs_mpi_comm_world()), "MPI_Barrier")
    }

    /// Shuts MPI down; call once, after the last communication.
    public func finalize() throws {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { try MPIError.check(MPI_Finalize(), "MPI_Finalize") }
    }
}
