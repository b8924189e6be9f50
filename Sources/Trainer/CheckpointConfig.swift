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
    /// Raw bytes per zstd frame of a shard: the unit a reader decompresses to get any range.
    public var frameMB: Double = 4

    public init() {}

    public var frameBytes: Int { max(4096, Int(frameMB * 1_048_576)) / 4 * 4 }
}

extension CheckpointConfig {
    init(section s: ConfigSection) throws {
        self.init()
        every = try s.int("every", default: every)
        keep = try s.int("keep", default: keep)
        keepBest = try s.bool("keep_best", default: keepBest)
        frameMB = try s.double("frame_mb", default: frameMB)
        try s.finish()
        guard every >= 0 else { throw ConfigError(key: "checkpoint.every", "must not be negative (0: epoch ends and signals only)") }
        guard keep >= 1 else { throw ConfigError(key: "checkpoint.keep", "must be at least 1 (the newest is always kept)") }
        guard frameMB > 0 && frameMB.isFinite else { throw ConfigError(key: "checkpoint.frame_mb", "must be a positive number of MiB") }
    }
}
