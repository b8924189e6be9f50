/// Every checkpoint of a run that one node can see, by tier and step, with where each shard and
/// each copy of it is and whether together they are complete (`qcs checkpoint list`). A folder is
/// named by its host, or by its path for the run directory.
public struct CheckpointCatalog {
    public struct Entry {
        public let tier: CheckpointTier
        public let step: Int
        public let shardCount: Int
        /// The host that wrote each shard (nil: a shared directory).
        public let writers: [String]?
        /// Per shard, the folders (hosts, or the run directory) where a copy is.
        public let places: [[String]]
        /// A directory of it (the first folder's).
        public let directory: String

        public var isComplete: Bool { places.allSatisfy { !$0.isEmpty } }
    }

    public let entries: [Entry]

    /// `folders`: what each folder holds (`ReachableCheckpoint.scan`), under the name to show for it.
    public init(_ folders: [(name: String, found: [ReachableCheckpoint])]) {
        struct Key: Hashable { let tier: CheckpointTier, step: Int, digest: String }
        var groups: [Key: [(name: String, found: ReachableCheckpoint)]] = [:]
        var order: [Key] = []
        for (name, list) in folders {
            for found in list {
                let key = Key(tier: found.tier, step: found.step, digest: found.manifestDigest)
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append((name, found))
            }
        }
        entries = order.sorted { ($0.tier, $1.step) < ($1.tier, $0.step) }.map { key in
            let copies = groups[key]!
            let first = copies[0].found
            let places = (0..<first.shardCount).map { s in copies.filter { $0.found.shards.contains(s) }.map(\.name) }
            return Entry(tier: key.tier, step: key.step, shardCount: first.shardCount, writers: first.writers, places: places,
                         directory: first.directory)
        }
    }

    /// One line per checkpoint: "step 6: complete, 3 shards: 0 on h1 (+h2), 1 on h3 (copy; h2 not seen), …".
    public static func describe(_ e: Entry) -> String {
        let state = e.isComplete ? "complete" : "INCOMPLETE"
        guard let writers = e.writers else {
            return "step \(e.step): \(state), \(e.shardCount) shard\(e.shardCount == 1 ? "" : "s") in \(e.directory)"
        }
        let shards = (0..<e.shardCount).map { s -> String in
            let places = e.places[s]
            if places.isEmpty { return "\(s) nowhere seen (written on \(writers[s]))" }
            let own = places.contains(writers[s]) ? writers[s] : "\(writers[s]) not seen"
            let copies = places.filter { $0 != writers[s] }
            return "\(s) on \(own)" + (copies.isEmpty ? "" : " (+ \(copies.joined(separator: ", ")))")
        }
        return "step \(e.step): \(state), \(e.shardCount) shard\(e.shardCount == 1 ? "" : "s"): " + shards.joined(separator: "; ")
    }
}
