/// The ranks of one training job and the collective operations between them.
///
/// Every rank holds the whole model; the trainer talks to the other ranks only through this
/// protocol, so it runs the same with MPI (`MPICommunicator`), alone (`LocalCommunicator`) or
/// with threads standing in for ranks (`InProcessWorld`, for tests).
///
/// Rules every implementation follows, as MPI does:
/// - collectives are matched by order: every rank calls the same sequence with the same counts;
/// - one communicator is used by one thread at a time; a thread of its own (the gradient
///   exchange) gets a `duplicate()`, whose traffic never mixes with the original's;
/// - a failure is thrown as an error that names the call; `abort` ends every rank at once.
public protocol Communicator: AnyObject {
    /// This process's place in the job, 0..<size.
    var rank: Int { get }
    /// Ranks in the job.
    var size: Int { get }
    /// This rank's place among the ranks on its node, and their count (they share its cores).
    var localRank: Int { get }
    var localSize: Int { get }

    /// Reduces `buffer` element-wise over every rank; every rank ends with the result, in place.
    func allreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws

    /// Starts the same reduction and returns at once. `buffer` must stay valid and untouched until
    /// the request's `wait()` returns.
    func startAllreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>,
                                                _ op: ReduceOperation) throws -> CommunicationRequest

    /// Copies `root`'s buffer into every other rank's.
    func broadcast<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws

    /// Rank r contributes `counts[r]` elements (`send`); every rank receives all contributions in
    /// rank order in `receive` (Σ counts elements). Equal counts are MPI's allgather, else allgatherv.
    func allgather<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                           counts: [Int]) throws

    /// Reduces `send` (Σ counts elements, the same layout on every rank) over every rank and
    /// leaves block r (`counts[r]` elements, in order) on rank r, in `receive`.
    func reduceScatter<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                               counts: [Int], _ op: ReduceOperation) throws

    /// Personalised exchange: `send` holds one block per destination rank (`sendCounts[d]`
    /// elements, in rank order); `receive` gets one block per source rank (`receiveCounts[s]`).
    func alltoall<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                          into receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int]) throws

    /// Returns once every rank has called it.
    func barrier() throws

    /// A communicator over the same ranks whose operations never match this one's (collective:
    /// every rank calls it).
    func duplicate() throws -> Communicator

    /// Ends every rank of the job now with `code` (MPI_Abort). For errors after which the ranks
    /// can no longer agree on what to do; the caller prints its reason first.
    func abort(code: Int32) -> Never
}

/// The element-wise operation of a reduction.
public enum ReduceOperation: Sendable {
    case sum, max, min
}

/// A nonblocking operation in flight.
public protocol CommunicationRequest: AnyObject {
    /// Blocks until the operation has completed on this rank.
    func wait() throws
}

extension Communicator {
    public var isLeader: Bool { rank == 0 }
}
