/// Which host each rank of a job runs on: mpirun fills each host's slots in the order given
/// (`--host a:2,b:1` puts ranks 0 and 1 on a, rank 2 on b), and `qcs launch` asks for exactly
/// the slots it names, so a rank number read from mpirun's report names its host.
public struct JobPlacement: Sendable, Equatable {
    public let hosts: [MPIHost]

    public init(hosts: [MPIHost]) { self.hosts = hosts }

    public var ranks: Int { hosts.reduce(0) { $0 + $1.slots } }

    public func host(ofRank rank: Int) -> String? {
        var first = 0
        for host in hosts {
            if rank >= first && rank < first + host.slots { return host.name }
            first += host.slots
        }
        return nil
    }

    /// `--host` for mpirun: `a:2,b:1`.
    public var hostArgument: String { hosts.map(\.description).joined(separator: ",") }
}
