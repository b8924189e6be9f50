import Checkpoint
import Config
import Foundation

/// Whether node memory (`checkpoint.memory_dir`, a tmpfs such as /dev/shm) has room for the run's
/// snapshots on this host: the newest `memory_keep` and one being written, each holding this
/// host's shards and the copies it keeps of other hosts'. Checked at start, so that a full
/// /dev/shm is a clear error there rather than a failed save hours later.
enum MemorySnapshotRoom {
    /// Throws a config error with the sizes when the folder's file system is too small.
    static func check(_ checkpoint: TrainingCheckpoint, state buffers: [CheckpointBuffer]) throws {
        let c = checkpoint.config.checkpoint
        let hosts = checkpoint.hosts
        let host = hosts.hostOfRank[checkpoint.rank]
        let stateBytes = Double(buffers.reduce(0) { $0 + ($1.perRank ? $1.count * hosts.hostOfRank.count : $1.count) } * 4)
        let share = Double(hosts.ranks(on: host).count) / Double(hosts.hostOfRank.count)
        let copies = Double(c.replicaCount(hosts: hosts.hosts.count))
        let needed = stateBytes * share * (1 + copies) * Double(c.memoryKeep + 1)
        guard let free = freeBytes(near: checkpoint.memoryRoot), free < needed else { return }
        throw ConfigError(key: "checkpoint.memory_dir", String(
            format: "%@ on %@ has %.2f GB free; memory snapshots need about %.2f GB there ((memory_keep %d + 1 being "
                + "written) x (this host's %.2f GB of shards + %d cop%@ of other hosts')): lower checkpoint.memory_keep "
                + "or checkpoint.replicas, give /dev/shm more room, or set checkpoint.memory_every: 0",
            c.memoryDir, host, free / 1e9, needed / 1e9, c.memoryKeep, stateBytes * share / 1e9, Int(copies),
            copies == 1 ? "y" : "ies"))
    }

    /// Free bytes of the file system holding `path`, or of its nearest existing parent.
    static func freeBytes(near path: String) -> Double? {
        var folder = path
        while !FileManager.default.fileExists(atPath: folder) && folder != "/" && !folder.isEmpty {
            folder = (folder as NSString).deletingLastPathComponent
        }
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return nil }
        return Double(info.f_bavail) * Double(info.f_frsize)
    }
}
