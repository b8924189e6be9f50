import CMPI
import Foundation

/// `Communicator` over an MPI communicator. The only code in qcs that calls MPI's collectives.
/// MPI errors are returned (MPI_ERRORS_RETURN) and thrown as `MPIError` naming the call.
public final class MPICommunicator: Communicator {
    let comm: MPI_Comm
    private let owned: Bool
    public let rank: Int
    public let size: Int
    public let localRank: Int
    public let localSize: Int

    init(comm: MPI_Comm, owned: Bool) throws {
        self.comm = comm
        self.owned = owned
        var r: Int32 = 0, s: Int32 = 0
        try MPIError.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try MPIError.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        // The ranks that share this node's memory share its cores too.
        var node: MPI_Comm? = qcs_mpi_comm_null()
        try MPIError.check(MPI_Comm_split_type(comm, qcs_mpi_comm_type_shared(), r, qcs_mpi_info_null(), &node),
                           "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)")
        var lr: Int32 = 0, ls: Int32 = 1
        try MPIError.check(MPI_Comm_rank(node, &lr), "MPI_Comm_rank(node)")
        try MPIError.check(MPI_Comm_size(node, &ls), "MPI_Comm_size(node)")
        MPI_Comm_free(&node)
        localRank = Int(lr)
        localSize = Int(ls)
    }

    deinit {
        if owned {
            var c: MPI_Comm? = comm
            var finalized: Int32 = 0
            MPI_Finalized(&finalized)
            if finalized == 0 { MPI_Comm_free(&c) }
        }
    }

    public func allreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws {
        guard buffer.count > 0 else { return }
        try MPIError.check(MPI_Allreduce(qcs_mpi_in_place(), buffer.baseAddress, try Self.count(buffer.count),
                                         Self.datatype(T.self), Self.op(op), comm),
                           "MPI_Allreduce(\(buffer.count) \(T.kind))")
    }

    public func startAllreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>,
                                                       _ op: ReduceOperation) throws -> CommunicationRequest {
        var request: MPI_Request? = qcs_mpi_request_null()
        try MPIError.check(MPI_Iallreduce(qcs_mpi_in_place(), buffer.baseAddress, try Self.count(buffer.count),
                                          Self.datatype(T.self), Self.op(op), comm, &request),
                           "MPI_Iallreduce(\(buffer.count) \(T.kind))")
        return MPIRequest(request, call: "MPI_Iallreduce")
    }

    public func broadcast<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        guard root >= 0 && root < size else { throw CommunicationError.rankOutOfRange(call: "broadcast", rank: root, size: size) }
        guard buffer.count > 0 else { return }
        try MPIError.check(MPI_Bcast(buffer.baseAddress, try Self.count(buffer.count), Self.datatype(T.self),
                                     Int32(root), comm), "MPI_Bcast(\(buffer.count) \(T.kind))")
    }

    public func allgather<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                  counts: [Int]) throws {
        try Self.validate("allgather", counts: counts, size: size, send: send.count, own: counts[safe: rank],
                          receive: receive.count, total: counts.reduce(0, +))
        let type = Self.datatype(T.self)
        if counts.allSatisfy({ $0 == counts[0] }) {
            try MPIError.check(MPI_Allgather(send.baseAddress, try Self.count(send.count), type, receive.baseAddress,
                                             try Self.count(counts[0]), type, comm), "MPI_Allgather")
        } else {
            let (c, d) = try Self.countsAndDisplacements(counts)
            try MPIError.check(MPI_Allgatherv(send.baseAddress, try Self.count(send.count), type, receive.baseAddress,
                                              c, d, type, comm), "MPI_Allgatherv")
        }
    }

    public func reduceScatter<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                      counts: [Int], _ op: ReduceOperation) throws {
        try Self.validate("reduceScatter", counts: counts, size: size, send: send.count, own: counts.reduce(0, +),
                          receive: receive.count, total: counts[safe: rank] ?? -1)
        let (c, _) = try Self.countsAndDisplacements(counts)
        try MPIError.check(MPI_Reduce_scatter(send.baseAddress, receive.baseAddress, c, Self.datatype(T.self),
                                              Self.op(op), comm), "MPI_Reduce_scatter")
    }

    public func alltoall<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                                 into receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int]) throws {
        guard sendCounts.count == size, receiveCounts.count == size,
              send.count == sendCounts.reduce(0, +), receive.count == receiveCounts.reduce(0, +) else {
            throw CommunicationError.countMismatch(
                call: "alltoall", detail: "counts \(sendCounts)/\(receiveCounts) for buffers of \(send.count)/\(receive.count)")
        }
        let type = Self.datatype(T.self)
        let (sc, sd) = try Self.countsAndDisplacements(sendCounts)
        let (rc, rd) = try Self.countsAndDisplacements(receiveCounts)
        try MPIError.check(MPI_Alltoallv(send.baseAddress, sc, sd, type, receive.baseAddress, rc, rd, type, comm),
                           "MPI_Alltoallv")
    }

    public func barrier() throws {
        try MPIError.check(MPI_Barrier(comm), "MPI_Barrier")
    }

    public func duplicate() throws -> Communicator {
        var copy: MPI_Comm? = qcs_mpi_comm_null()
        try MPIError.check(MPI_Comm_dup(comm, &copy), "MPI_Comm_dup")
        try MPIError.check(MPI_Comm_set_errhandler(copy, qcs_mpi_errors_return()), "MPI_Comm_set_errhandler")
        return try MPICommunicator(comm: copy!, owned: true)
    }

    public func abort(code: Int32) -> Never {
        fflush(stdout)
        fflush(stderr)
        MPI_Abort(comm, code)
        exit(code)  // MPI_Abort does not return; this satisfies the type checker
    }

    // MARK: - Conversions

    static func datatype<T: CommunicationElement>(_: T.Type) -> MPI_Datatype {
        switch T.kind {
        case .float32: qcs_mpi_float()
        case .float64: qcs_mpi_double()
        case .int32: qcs_mpi_int32()
        case .int64: qcs_mpi_int64()
        case .uint8: qcs_mpi_uint8()
        case .uint16: qcs_mpi_uint16()
        }
    }

    static func op(_ op: ReduceOperation) -> MPI_Op {
        switch op {
        case .sum: qcs_mpi_op_sum()
        case .max: qcs_mpi_op_max()
        case .min: qcs_mpi_op_min()
        }
    }

    /// MPI counts are 32-bit: larger messages must be cut by the caller (buckets are).
    static func count(_ n: Int) throws -> Int32 {
        guard n <= Int(Int32.max) else {
            throw CommunicationError.countMismatch(call: "MPI", detail: "\(n) elements exceed MPI's 32-bit count")
        }
        return Int32(n)
    }

    static func countsAndDisplacements(_ counts: [Int]) throws -> ([Int32], [Int32]) {
        var displacements: [Int32] = []
        var at = 0
        for n in counts {
            displacements.append(try count(at))
            at += n
        }
        return (try counts.map(count), displacements)
    }

    static func validate(_ call: String, counts: [Int], size: Int, send: Int, own: Int?, receive: Int, total: Int) throws {
        guard counts.count == size, send == own, receive == total else {
            throw CommunicationError.countMismatch(
                call: call, detail: "\(counts.count) counts \(counts) in a world of \(size); send \(send), receive \(receive)")
        }
    }
}

/// An MPI_Request in flight.
final class MPIRequest: CommunicationRequest {
    private var request: MPI_Request?
    private let call: String

    init(_ request: MPI_Request?, call: String) {
        self.request = request
        self.call = call
    }

    func wait() throws {
        try RequestPolling().wait {
            var done: Int32 = 0
            try MPIError.check(MPI_Test(&request, &done, qcs_mpi_status_ignore()), "MPI_Test(\(call))")
            return done != 0
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
