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
    /// `distributed.debug`: the ranks were about to make different collectives; `calls[r]` is rank r's.
    case collectiveMismatch(communicator: String, calls: [String])

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
        case .collectiveMismatch(let communicator, let calls):
            let groups = Dictionary(grouping: calls.indices, by: { calls[$0] })
                .sorted { $0.value.count == $1.value.count ? $0.value[0] < $1.value[0] : $0.value.count > $1.value.count }
            let listed = groups.map { call, ranks in "rank\(ranks.count == 1 ? "" : "s") \(Self.ranges(ranks)): \(call)" }
            return "the ranks were about to make different collectives on communicator \(communicator): "
                + listed.joined(separator: "; ") + ". Their code paths diverged (a rank skipped, added or reordered a "
                + "collective), which without distributed.debug would have hung; each rank's log (RUN/logs) shows "
                + "what it did last"
        case .threadSupport(let provided):
            return "this MPI library grants thread level \(provided), not MPI_THREAD_MULTIPLE (3), which qcs's gradient "
                + "exchange thread needs; use an MPI built with thread support (Open MPI 4 and MPICH 3 are, by default)"
        }
    }

    /// 0, 2-5, 7 for [0, 2, 3, 4, 5, 7].
    public static func ranges(_ ranks: [Int]) -> String {
        var parts: [String] = [], start = ranks.first ?? 0, last = start
        for r in ranks.dropFirst() + [Int.min] {
            if r == last + 1 { last = r; continue }
            parts.append(start == last ? "\(start)" : "\(start)-\(last)")
            start = r
            last = r
        }
        return parts.joined(separator: ", ")
    }
}
