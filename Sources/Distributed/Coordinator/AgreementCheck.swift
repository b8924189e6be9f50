/// The check every rank runs before working together: each holds the same named fingerprints
/// (of its configuration, its inputs, what it built) as rank 0, or every rank stops with the same
/// error naming the first rank that differs and in what.
public struct AgreementCheck {
    public let names: [String]
    public let values: [Int64]

    public init(_ fingerprints: [(name: String, value: Int64)]) {
        names = fingerprints.map(\.name)
        values = fingerprints.map(\.value)
    }

    /// Throws `CoordinationError.ranksDisagree` on every rank alike when any rank differs from rank 0.
    public func check(over comm: Communicator) throws {
        guard comm.size > 1 else { return }
        let all = try comm.allgather(values)
        for (rank, mine) in all.enumerated() where mine != all[0] {
            let what = zip(names, zip(mine, all[0])).filter { $0.1.0 != $0.1.1 }.map(\.0)
            throw CoordinationError.ranksDisagree(rank: rank, what: what)
        }
    }
}
