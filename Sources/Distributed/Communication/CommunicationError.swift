/// Problems of the collectives that are not the MPI library's own (those are `MPIError`).
public enum CommunicationError: Error, CustomStringConvertible, Equatable {
    /// A call's counts do not fit its buffers or the world (a bug in the caller).
    case countMismatch(call: String, detail: String)
    /// A rank waited longer than the world's patience for the others (in-process worlds only:
    /// a test that would otherwise hang fails instead).
    case timedOut(call: String, rank: Int, seconds: Double)
    /// A root or destination outside 0..<size.
    case rankOutOfRange(call: String, rank: Int, size: Int)
    /// The MPI library does not grant MPI_THREAD_MULTIPLE, which the communication thread needs.
    case threadSupport(provided: Int)
    /// A zstd-compressed gradient payload that does not decode to what was sent.
    case wire(detail: String)

    public var description: String {
        switch self {
        case .countMismatch(let call, let detail):
            return "\(call): \(detail)"
        case .timedOut(let call, let rank, let seconds):
            return "\(call): rank \(rank) waited \(seconds) s for the other ranks; one of them never reached the same call"
        case .rankOutOfRange(let call, let rank, let size):
            return "\(call): rank \(rank) is outside a world of \(size)"
        case .wire(let detail):
            return "a compressed gradient payload from another rank does not decode (\(detail)): the ranks run "
                + "different qcs builds, or the data was damaged on the way"
        case .threadSupport(let provided):
            return "this MPI library grants thread level \(provided), not MPI_THREAD_MULTIPLE (3), which qcs's gradient "
                + "exchange thread needs; use an MPI built with thread support (Open MPI 4 and MPICH 3 are, by default)"
        }
    }
}
