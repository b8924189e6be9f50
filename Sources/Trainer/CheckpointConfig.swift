import Config
import QCS

/// When a run writes checkpoints and which it keeps (the `checkpoint` section).
public struct CheckpointConfig: Sendable, Equatable {
    /// Also write one every this many global steps (0: only at epoch ends, on signals and at
    /// `--max-steps`). `--checkpoint-every` on the command line sets it.
    public var every = 0
    /// The newest this many are kept; older ones are deleted once a newer one is complete.
    public var keep = 3
    /// Also keep the one with the best test accuracy (of those written right after an evaluation).
    public var keepBest = true
    /// Write checkpoints in the background: training holds only while each rank copies its part
    /// of the state (false: every rank waits until the checkpoint is on disk).
    public var background = true
    /// Raw bytes per zstd frame of a shard: the unit a reader decompresses to get any range.
    public var frameMB: Double = 4
    /// Also write a snapshot into node memory every this many global steps (0: none).
    public var memoryEvery = 0
    /// Where snapshots go on each node (`{host}` is its host name); under it `<run id>/<host>/`.
    public var memoryDir = "/dev/shm/qcs"
    /// The newest this many snapshots are kept on each node.
    public var memoryKeep = 2
    /// Durable checkpoints on each node's own disk instead of the run directory (`{host}` is its
    /// host name; under it `<run id>/<host>/`); nil: in `RUN/checkpoints`.
    public var localDir: String?
    /// Copies of each shard on the next hosts, for snapshots and local checkpoints (nil: 1 when the
    /// run spans more than one host).
    public var replicas: Int?

    public init() {}

    /// Copies each shard gets on other hosts, in a run over `hosts` hosts.
    public func replicaCount(hosts: Int) -> Int { min(replicas ?? (hosts > 1 ? 1 : 0), max(hosts - 1, 0)) }

    public var frameBytes: Int { max(4096, Int(frameMB * 1_048_576)) / 4 * 4 }
}

extension CheckpointConfig {
    init(section s: ConfigSection) throws {
        self.init()
        every = try s.int("every", default: every)
        keep = try s.int("keep", default: keep)
        keepBest = try s.bool("keep_best", default: keepBest)
        frameMB = try s.double("frame_mb", default: frameMB)
        background = try s.bool("background", default: background)
        memoryEvery = try s.int("memory_every", default: memoryEvery)
        memoryDir = try s.string("memory_dir", default: memoryDir)
        memoryKeep = try s.int("memory_keep", default: memoryKeep)
        let local = try s.string("local_dir", default: "")
        localDir = local.isEmpty ? nil : local
        let copies = try s.string("replicas", default: "auto")
        if copies != "auto" {
            guard let n = Int(copies), n >= 0 else {
                throw ConfigError(key: "checkpoint.replicas", "expected auto or a number of copies (0 or more), got '\(copies)'")
            }
            replicas = n
        }
        try s.finish()
        guard every >= 0 else { throw ConfigError(key: "checkpoint.every", "must not be negative (0: epoch ends and signals only)") }
        guard keep >= 1 else { throw ConfigError(key: "checkpoint.keep", "must be at least 1 (the newest is always kept)") }
        guard memoryEvery >= 0 else { throw ConfigError(key: "checkpoint.memory_every", "must not be negative (0: no snapshots)") }
        guard memoryKeep >= 1 else { throw ConfigError(key: "checkpoint.memory_keep", "must be at least 1") }
        guard !memoryDir.isEmpty, memoryDir.hasPrefix("/") else {
            throw ConfigError(key: "checkpoint.memory_dir", "must be an absolute path (default /dev/shm/qcs)")
        }
        if let localDir, !localDir.hasPrefix("/") {
            throw ConfigError(key: "checkpoint.local_dir", "must be an absolute path on each node (got '\(localDir)')")
        }
        guard frameMB > 0 && frameMB.isFinite else { throw ConfigError(key: "checkpoint.frame_mb", "must be a positive number of MiB") }
    }
}
