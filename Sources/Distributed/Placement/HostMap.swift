/// Which host each rank runs on, gathered from every rank: the hosts in the order of their first
/// rank, each host's ranks, and each host's leader (its lowest rank). Node-local state (memory
/// snapshots, local checkpoints and their replicas) is placed by it.
public struct HostMap: Sendable, Equatable {
    /// The host of rank r.
    public let hostOfRank: [String]
    /// Every host once, in the order of its lowest rank.
    public let hosts: [String]

    public init(hostOfRank: [String]) {
        self.hostOfRank = hostOfRank
        var seen = Set<String>()
        hosts = hostOfRank.filter { seen.insert($0).inserted }
    }

    /// Collective: every rank gives its host's name (`HostName.current` unless a test says otherwise).
    public static func gather(_ name: String, over comm: Communicator) throws -> HostMap {
        let all = try comm.allgather(Array(name.utf8))
        return HostMap(hostOfRank: all.map { String(decoding: $0, as: UTF8.self) })
    }

    public func ranks(on host: String) -> [Int] { hostOfRank.indices.filter { hostOfRank[$0] == host } }

    /// The lowest rank on `host`.
    public func leader(of host: String) -> Int? { hostOfRank.firstIndex(of: host) }

    /// The `count` hosts after `host`, in order and around (fewer when there are fewer others).
    public func hosts(after host: String, count: Int) -> [String] {
        guard let i = hosts.firstIndex(of: host) else { return [] }
        return (1..<hosts.count).prefix(count).map { hosts[(i + $0) % hosts.count] }
    }
}
