/// What the coordinator's collective checks find: every rank throws the same error at the same
/// point (`isCollective` in the trainer's terms), so all can exit in order without an abort.
public enum CoordinationError: Error, CustomStringConvertible, Equatable {
    /// Some ranks failed at a step every rank takes together (`Collectively`).
    case setupFailed(String)
    /// A rank differs from rank 0 in what it read or built (`AgreementCheck`).
    case ranksDisagree(rank: Int, what: [String])
    /// The ranks' parameters are no longer identical (`ReplicaCheck`).
    case replicasDiverged(step: Int, ranks: [Int])

    public var description: String {
        switch self {
        case .setupFailed(let reason):
            return reason
        case .ranksDisagree(let rank, let what):
            return "rank \(rank) differs from rank 0 in its \(what.joined(separator: ", ")): every rank must run the same "
                + "qcs with the same config and data set (check the paths and files on rank \(rank)'s node)."
        case .replicasDiverged(let step, let ranks):
            return "after step \(step) the parameters of rank\(ranks.count == 1 ? "" : "s") "
                + "\(ranks.map(String.init).joined(separator: ", ")) differ from rank 0's: the replicas diverged. This is a "
                + "bug or a hardware fault; please report it with the run's config and metrics.jsonl."
        }
    }
}
