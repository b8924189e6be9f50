/// Problems of the collectives that are not the MPI library's own (those are `MPIError`).
public enum CommunicationError: Error, CustomStringConvertible, Equatable {
    /// A call's counts do not fit its buffers or the world (a bug in the caller).
    case countMismatch(call: String, detail: String)
    /// A rank waited longer than the world's patience for the others (in-process worlds only:
    /// a test that would otherwise hang fails instead).
    case timedOut(call: String, rank: Int, seconds: Double)
    /// A root or destination outside 0..<size.
    case rankOutOfRange(call: String, rank: Int, size: Int)

    public var description: String {
        switch self {
        case .countMismatch(let call, let detail):
            return "\(call): \(detail)"
        case .timedOut(let call, let rank, let seconds):
            return "\(call): rank \(rank) waited \(seconds) s for the other ranks; one of them never reached the same call"
        case .rankOutOfRange(let call, let rank, let size):
            return "\(call): rank \(rank) is outside a world of \(size)"
        }
    }
}
