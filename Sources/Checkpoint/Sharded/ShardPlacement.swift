import Distributed

/// Where the shards of one checkpoint go: the directory each rank writes its own shard into, and
/// the ranks that keep a copy of it beside their own. In a shared run directory every rank writes
/// into one directory; on node-local storage (memory snapshots, `checkpoint.local_dir`) each host
/// has its own, and its leader also keeps copies of the shards of the hosts before it.
///
/// Each distinct directory is published by its lowest rank: it makes the `.tmp` directory, writes
/// the manifest last (every directory gets the same one, which names where each shard is), renames
/// the directory into place and points `latest` beside it at it.
public struct ShardPlacement: Sendable, Equatable {
    /// The checkpoint directory rank r writes its shard into (the save writes into `DIR.tmp` first).
    public let directories: [String]
    /// The ranks that keep a copy of rank r's shard in their directory.
    public let replicas: [[Int]]
    /// The host of rank r, recorded in the manifest beside each shard (nil: one shared directory).
    public let hosts: [String]?

    public init(directories: [String], replicas: [[Int]], hosts: [String]?) {
        precondition(directories.count == replicas.count, "one directory and one replica list per rank")
        self.directories = directories
        self.replicas = replicas
        self.hosts = hosts
    }

    /// Every rank of `worldSize` writes into `directory`.
    public static func shared(_ directory: String, worldSize: Int) -> ShardPlacement {
        ShardPlacement(directories: Array(repeating: directory, count: worldSize),
                       replicas: Array(repeating: [], count: worldSize), hosts: nil)
    }

    /// Each host writes into `root(host) + "/" + name`; each rank's shard is also kept by the leaders
    /// of the next `copies` hosts (fewer when there are fewer other hosts).
    public static func perHost(_ map: HostMap, name: String, copies: Int, root: (String) -> String) -> ShardPlacement {
        let directories = map.hostOfRank.map { root($0) + "/" + name }
        let replicas = map.hostOfRank.map { host in map.hosts(after: host, count: copies).compactMap { map.leader(of: $0) } }
        return ShardPlacement(directories: directories, replicas: replicas, hosts: map.hostOfRank)
    }

    public var worldSize: Int { directories.count }

    /// The ranks that publish a directory: the lowest rank writing into each.
    public var publishers: [Int] {
        var seen = Set<String>()
        return directories.indices.filter { seen.insert(directories[$0]).inserted }
    }

    /// The ranks whose shards rank `rank` keeps beside its own.
    public func replicasHeld(by rank: Int) -> [Int] { replicas.indices.filter { replicas[$0].contains(rank) } }

    /// The hosts that hold rank r's shard once the save is done (nil: one shared directory).
    func holders(of rank: Int) -> [String]? {
        hosts.map { hosts in [hosts[rank]] + replicas[rank].map { hosts[$0] } }
    }
}
