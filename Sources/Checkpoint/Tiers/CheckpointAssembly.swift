import Distributed
import Foundation

/// The checkpoint a resume continues from, put together from what the ranks of the new job reach:
/// memory snapshots and local checkpoints on their nodes (with the copies other nodes sent them)
/// and the run directory. Every rank gathers every rank's findings and makes the same choice: the
/// newest checkpoint whose every shard some rank holds in a copy that checks out (size, SHA-256),
/// memory before local disks before the run directory at the same step. Each shard is then read by
/// every rank from its own copy when all have one (a shared run directory), else sent over the
/// communicator by the lowest rank that holds a good copy.
public struct CheckpointAssembly {
    /// Where each shard comes from.
    public enum Provider: Equatable, Sendable {
        /// Every rank reads its own copy (already checked).
        case everyRank
        /// This rank sends its copy to the others.
        case rank(Int)
    }

    public let tier: CheckpointTier
    public let manifest: CheckpointManifest
    /// This rank's copy of the checkpoint's directory (nil: it holds none of it).
    public let directory: String?
    /// Per shard, in manifest order.
    public let providers: [Provider]
    /// What the resume says it takes: "memory snapshot at step 12 (shard 1 from its copy on qh3;
    /// qh2 is not in this job)".
    public let account: String

    /// What every rank reaches, newest first, and why it did not take the newer ones.
    public struct Choice {
        public let assembly: CheckpointAssembly?
        /// One line per checkpoint passed over, newest first ("memory snapshot at step 14: …").
        public let skipped: [String]
    }

    /// Collective. `reachable`: what this rank found (`ReachableCheckpoint.scan` of its tiers), with
    /// the problems of what it could not read; `hosts`: the new job's hosts.
    public static func choose(_ reachable: [ReachableCheckpoint], problems: [String], hosts: HostMap,
                              over comm: Communicator) throws -> Choice {
        let everyRank = try comm.allgather(Array(try JSONEncoder().encode(reachable)))
            .map { try JSONDecoder().decode([ReachableCheckpoint].self, from: Data($0)) }
        var skipped = Array(Set(try comm.allgather(Array(problems.joined(separator: "\n").utf8))
            .flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) })).sorted(by: >)

        struct Key: Hashable { let tier: CheckpointTier, step: Int, digest: String }
        var candidates: [Key: [(rank: Int, found: ReachableCheckpoint)]] = [:]
        for (rank, list) in everyRank.enumerated() {
            for found in list { candidates[Key(tier: found.tier, step: found.step, digest: found.manifestDigest), default: []].append((rank, found)) }
        }
        let order = candidates.keys.sorted { ($0.step, $1.tier, $0.digest) > ($1.step, $0.tier, $1.digest) }
        for key in order {
            let copies = candidates[key]!
            let sample = copies[0].found
            let name = "\(key.tier.noun) at step \(key.step)"
            let label = key.tier == .shared ? (sample.directory as NSString).lastPathComponent : name
            let holders = (0..<sample.shardCount).map { s in copies.filter { $0.found.shards.contains(s) }.map(\.rank) }
            let missing = holders.indices.filter { holders[$0].isEmpty }
            if !missing.isEmpty {
                skipped.append("\(label): " + missing.map { s in
                    "shard \(s)\(sample.writers.map { " (written on \($0[s]))" } ?? "") is on no host of this job"
                }.joined(separator: "; "))
                continue
            }
            // Each copy is checked once: the ranks of a host that see the same folder share its shards
            // out among themselves, and the verdicts are shared.
            let mine = copies.first { $0.rank == comm.rank }?.found
            let manifest = try agreedManifest(mine, from: copies.map(\.rank), over: comm)
            let checker = checkers(copies.map { ($0.rank, $0.found) }, shardCount: sample.shardCount, hosts: hosts)
            var failures: [String] = []
            var good: [Int32] = Array(repeating: 0, count: sample.shardCount)
            if let mine, let manifest {
                for shard in manifest.shards where checker[comm.rank]?[shard.rank] == comm.rank {
                    do {
                        try FramedShardReader.verify(mine.directory + "/" + shard.file, shard.summary)
                        good[shard.rank] = 1
                    } catch { failures.append("\(error)") }
                }
            }
            let verdicts = try comm.allgather(good)
            let reasons = Set(try comm.allgather(Array(failures.joined(separator: "; ").utf8))
                .map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }).sorted()
            guard let manifest else { continue }
            var providers: [Provider] = []
            for s in 0..<sample.shardCount {
                let ok = (0..<comm.size).filter { r in checker[r]?[s].map { verdicts[$0][s] != 0 } ?? false }
                if ok.count == comm.size { providers.append(.everyRank) } else if let first = ok.first { providers.append(.rank(first)) }
            }
            guard providers.count == sample.shardCount else {
                skipped.append("\(label): " + reasons.joined(separator: "; "))
                continue
            }
            let account = describe(name, manifest: manifest, providers: providers, hosts: hosts)
            return Choice(assembly: CheckpointAssembly(tier: key.tier, manifest: manifest, directory: mine?.directory,
                                                       providers: providers, account: account),
                          skipped: skipped)
        }
        return Choice(assembly: nil, skipped: skipped)
    }

    /// Per rank that holds a copy, per shard it holds: the rank that checks that copy of it. Ranks on
    /// one host that see the same folder see the same files, so the lowest-numbered checks shard 0,
    /// the next shard 1, and so on round the group.
    static func checkers(_ copies: [(rank: Int, found: ReachableCheckpoint)], shardCount: Int,
                                 hosts: HostMap) -> [Int: [Int: Int]] {
        struct Copy: Hashable { let host: String, directory: String }
        let groups = Dictionary(grouping: copies) { Copy(host: hosts.hostOfRank[$0.rank], directory: $0.found.directory) }
        var checker: [Int: [Int: Int]] = [:]
        for members in groups.values {
            for s in 0..<shardCount {
                let holding = members.filter { $0.found.shards.contains(s) }.map(\.rank).sorted()
                guard !holding.isEmpty else { continue }
                for r in holding { checker[r, default: [:]][s] = holding[s % holding.count] }
            }
        }
        return checker
    }

    /// The candidate's manifest on every rank: read by each rank that holds a copy, sent by the
    /// lowest of them to the others (nil on every rank when it cannot be read there).
    private static func agreedManifest(_ mine: ReachableCheckpoint?, from holders: [Int],
                                       over comm: Communicator) throws -> CheckpointManifest? {
        let root = holders.min()!
        var text: [UInt8] = []
        if comm.rank == root, let mine {
            text = Array((try? JSONEncoder().encode(try CheckpointManifest.read(mine.directory))) ?? Data())
        }
        let sent = try comm.broadcastArray(text, root: root)
        return sent.isEmpty ? nil : try? JSONDecoder().decode(CheckpointManifest.self, from: Data(sent))
    }

    /// "memory snapshot at step 12 (shard 1 from its copy on qh3; qh2 is not in this job)".
    private static func describe(_ name: String, manifest: CheckpointManifest, providers: [Provider], hosts: HostMap) -> String {
        let writers = manifest.shards.map { $0.holders?.first }
        var notes: [String] = []
        for (s, provider) in providers.enumerated() {
            guard let writer = writers[s], !hosts.hosts.contains(writer), case .rank(let r) = provider else { continue }
            notes.append("shard \(s) from its copy on \(hosts.hostOfRank[r])")
        }
        let gone = Set(writers.compactMap { $0 }).subtracting(hosts.hosts).sorted()
        if !gone.isEmpty { notes.append("\(gone.joined(separator: ", ")) \(gone.count == 1 ? "is" : "are") not in this job") }
        return notes.isEmpty ? name : name + " (" + notes.joined(separator: "; ") + ")"
    }

    /// Collective: fills `buffers` as `ShardedCheckpoint.load` does, each shard from its provider.
    public func load(into buffers: [CheckpointBuffer], rank: Int, over comm: Communicator,
                     chunkBytes: Int = 256 << 20) throws {
        let name = directory ?? "the \(tier.noun) of step \(manifest.step)"
        try ShardedCheckpoint.fill(buffers, from: manifest, at: name, rank: rank) { shard in
            let s = manifest.shards.firstIndex(of: shard)!
            switch providers[s] {
            case .everyRank:
                return .checkedFile(directory! + "/" + shard.file)
            case .rank(let sender):
                var bytes = Data(count: shard.summary.bytes)
                var failure: Error?
                if comm.rank == sender {
                    // A sender that cannot read its copy still takes part (with zeros, which no
                    // receiver can decode), so no rank waits forever; then it throws.
                    let path = directory! + "/" + shard.file
                    do {
                        let read = try Data(contentsOf: URL(fileURLWithPath: path))
                        guard read.count == bytes.count else {
                            throw CheckpointError.shardTruncated(file: path, expectedBytes: bytes.count, foundBytes: read.count)
                        }
                        bytes = read
                    } catch { failure = error }
                }
                try bytes.withUnsafeMutableBytes { raw in
                    let all = raw.bindMemory(to: UInt8.self)
                    for start in stride(from: 0, to: all.count, by: chunkBytes) {
                        try comm.broadcast(UnsafeMutableBufferPointer(rebasing: all[start..<min(all.count, start + chunkBytes)]),
                                           root: sender)
                    }
                }
                if let failure { throw failure }
                // zstd's frame checksums catch what the transfer might damage; the sender checked the file.
                return .bytes(bytes, name: "shard \(s) (\(shard.file) from rank \(sender))")
            }
        }
    }
}
