import Foundation

/// A checkpoint one rank can reach on its node or the run directory: its tier and directory, its
/// step, a digest of its manifest (the copies on every host are the same file, so equal digests
/// are one checkpoint) and the shards whose files are there. What every
/// rank reaches is gathered to decide what a resume can assemble (`CheckpointAssembly`).
public struct ReachableCheckpoint: Codable, Sendable, Equatable {
    public var tier: CheckpointTier
    public var directory: String
    public var step: Int
    public var manifestDigest: String
    /// Ranks (of the world that saved it) whose shard file is in `directory`.
    public var shards: [Int]
    /// Shards the checkpoint has, and the host that wrote each (nil: written into a shared directory).
    public var shardCount: Int
    public var writers: [String]?

    /// The checkpoints in `root` (`step-…` folders with a valid manifest, and which shard files are
    /// there: their contents are checked once one is chosen; `.tmp` folders are saves cut short), newest
    /// first, and why each other `step-…` folder is not one (`step-000000004: no manifest.json …`).
    public static func scan(_ root: String, tier: CheckpointTier) -> (found: [ReachableCheckpoint], problems: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }.sorted(by: >)
        var found: [ReachableCheckpoint] = [], problems: [String] = []
        for name in names {
            let directory = root + "/" + name
            let manifest: CheckpointManifest
            do { manifest = try CheckpointManifest.read(directory) } catch {
                problems.append("\(name): \(error)")
                continue
            }
            var hash = SHA256()
            (FileManager.default.contents(atPath: directory + "/manifest.json") ?? Data()).withUnsafeBytes { hash.update($0) }
            let present = manifest.shards.filter { shard in
                let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + shard.file))?[.size] as? Int
                return size != nil
            }.map(\.rank)
            let writers = manifest.shards.contains { $0.holders != nil } ? manifest.shards.map { $0.holders?.first ?? "" } : nil
            found.append(ReachableCheckpoint(tier: tier, directory: directory, step: manifest.step,
                                             manifestDigest: hash.hexDigest(), shards: present,
                                             shardCount: manifest.shards.count, writers: writers))
        }
        return (found, problems)
    }
}
