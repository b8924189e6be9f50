import Config
import Autograd
import Distributed
import QCS

/// How the ranks of a job cooperate (the `distributed` section). One rank ignores all of it.
public struct DistributedConfig: Sendable, Equatable {
    /// Gradient bucket capacity in MiB (PyTorch DDP's `bucket_cap_mb`).
    public var bucketMB: Double = 25
    /// Exact global-batch mode: BatchNorm statistics and CSA's batch-wide min/max are reduced over
    /// every rank, so N ranks × b quadruplets compute what 1 rank × N·b does.
    public var syncBatchStatistics = false
    /// How each global batch is shared out over the ranks.
    public var rankWeights = RankWeights.equal
    /// Compare a hash of every rank's parameters every this many steps (0: never).
    public var checkReplicasEvery = 0
    /// How gradient buckets travel: float32, or compressed on the wire.
    public var gradientCompression = GradientCompression.none
    /// Values per scale of the int8 and onebit formats (defaults: 256 for int8, 32 for onebit).
    public var blockSize = 256
    /// Steps summed in float32 before a compressor with error feedback starts (warm-up).
    public var compressionStartStep = 0
    /// r of PowerSGD's rank-r factors.
    public var powerSGDRank = 4
    /// ZeRO-1: each rank keeps optimiser state for its piece of the parameters only.
    public var shardOptimizer = false
    /// zstd (level 1) on the byte payloads of the two-phase compressors (fp16, bf16, int8, onebit).
    public var wireZstd = false
    /// Collective checking for debugging (`CheckedCommunicator`).
    public var debug = DebugMode.off
    /// Seconds without a change of phase after which a rank reports a stall (`StallWatchdog`; 0: never),
    /// and whether the job then ends.
    public var stallSeconds = 300.0
    public var stallAborts = false

    public enum DebugMode: String, Sendable, CaseIterable {
        /// Collectives go straight to MPI.
        case off
        /// Before each collective the ranks compare what they are about to call; a mismatch stops
        /// every rank with an error naming who called what, instead of a hang.
        case check
        /// `check`, and each rank's log gets a line per collective with its bytes and seconds.
        case detail
    }

    public enum GradientCompression: String, Sendable, CaseIterable {
        case none, fp16, bf16, int8, onebit, powersgd

        /// Whether it cuts buckets into blocks (`block_size`).
        public var usesBlocks: Bool { self == .int8 || self == .onebit }
        /// Whether its payloads are bytes sent in two phases (what `wire_zstd` compresses).
        public var isTwoPhase: Bool { self == .fp16 || self == .bf16 || usesBlocks }
    }

    /// A new summer for `gradient_compression` (with fresh state: one per exchange); PowerSGD's
    /// products run on `compute`.
    public func makeBucketSum(compute: ComputePool) -> BucketSum {
        switch gradientCompression {
        case .none: FullPrecisionSum()
        case .fp16: HalfPrecisionSum(format: .fp16, zstd: wireZstd)
        case .bf16: HalfPrecisionSum(format: .bf16, zstd: wireZstd)
        case .int8: ErrorFeedbackSum(name: "int8", codec: Int8BlockCodec(blockSize: blockSize), startStep: compressionStartStep,
                                     zstd: wireZstd)
        case .onebit: ErrorFeedbackSum(name: "onebit", codec: SignBlockCodec(blockSize: blockSize),
                                       startStep: compressionStartStep, zstd: wireZstd)
        case .powersgd: PowerSGDSum(matrixRank: powerSGDRank, startStep: compressionStartStep, compute: compute)
        }
    }

    /// The settings that need the model's shapes: PowerSGD's rank must leave some matrix to compress.
    public func check(layout: ParameterLayout) throws {
        guard gradientCompression == .powersgd else { return }
        let matrices = layout.parameters.filter { $0.shape.count >= 2 }
        guard !matrices.contains(where: { PowerSGDSum.matrixSides($0.shape, rank: powerSGDRank) != nil }) else { return }
        let largest = matrices.map { min($0.shape[0], $0.shape.dropFirst().reduce(1, *)) }.max() ?? 0
        throw ConfigError(key: "distributed.powersgd_rank",
                          "rank \(powerSGDRank) compresses none of this model's matrices (the largest smaller side is "
                          + "\(largest), and rank-r factors must shrink a matrix at least twice): lower powersgd_rank "
                          + "below \(max(1, largest / 4)) or choose another gradient_compression")
    }

    public enum RankWeights: Sendable, Equatable {
        /// Near-equal slices (`GlobalBatch.slice`).
        case equal
        /// Slices proportional to these weights, one per rank.
        case fixed([Double])
        /// Slices proportional to each rank's measured speed over the previous epoch.
        case auto

        /// Why these weights cannot cut batches over `worldSize` ranks, or nil: fixed weights number
        /// one per rank (a world of one uses none). Training and `qcs debug replay` both ask here.
        func countProblem(worldSize: Int) -> String? {
            guard worldSize > 1, case .fixed(let weights) = self, weights.count != worldSize else { return nil }
            return "has \(weights.count) weights for \(worldSize) ranks"
        }

        /// The weights to cut a batch over `worldSize` ranks with (nil: evenly); `measured` are
        /// `auto`'s, nil before there are any. Fixed weights must number `worldSize` (`countProblem`).
        func weights(worldSize: Int, measured: [Double]?) -> [Double]? {
            guard worldSize > 1 else { return nil }
            switch self {
            case .equal: return nil
            case .fixed(let weights): return weights
            case .auto: return measured
            }
        }
    }

    public init() {}

    public var bucketBytes: Int { max(4, Int(bucketMB * 1_048_576)) }
}

extension DistributedConfig {
    init(section s: ConfigSection) throws {
        self.init()
        bucketMB = try s.double("bucket_mb", default: bucketMB)
        syncBatchStatistics = try s.bool("sync_batch_statistics", default: syncBatchStatistics)
        checkReplicasEvery = try s.int("check_replicas_every", default: checkReplicasEvery)
        let c = try s.choice("gradient_compression", default: gradientCompression, "compression")
        gradientCompression = c
        blockSize = try s.int("block_size", default: c == .onebit ? 32 : 256)
        compressionStartStep = try s.int("compression_start_step", default: compressionStartStep)
        powerSGDRank = try s.int("powersgd_rank", default: powerSGDRank)
        shardOptimizer = try s.bool("shard_optimizer", default: shardOptimizer)
        wireZstd = try s.bool("wire_zstd", default: wireZstd)
        debug = try s.choice("debug", default: debug, "mode")
        stallSeconds = try s.double("stall_seconds", default: stallSeconds)
        stallAborts = try s.word("stall_action", default: stallAborts ? "abort" : "report", among: ["report", "abort"],
                                 "action") == "abort"
        guard stallSeconds >= 0 && stallSeconds.isFinite else {
            throw ConfigError(key: "distributed.stall_seconds", "must be a number of seconds, 0 or more (0: never), got \(stallSeconds)")
        }
        if !s.has("rank_weights") { s.note("rank_weights", "equal") }
        if s.has("rank_weights") {
            if let word = try? s.peekString("rank_weights"), word == "auto" || word == "equal" {
                _ = try s.string("rank_weights", default: word)
                rankWeights = word == "auto" ? .auto : .equal
            } else {
                let weights = try s.doubles("rank_weights", default: [])
                guard !weights.isEmpty, weights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw ConfigError(key: "distributed.rank_weights",
                                      "expected auto, equal or a list of positive numbers, one per rank, like [2, 1]")
                }
                rankWeights = .fixed(weights)
            }
        }
        try s.finish()
        guard checkReplicasEvery >= 0 else {
            throw ConfigError(key: "distributed.check_replicas_every", "must not be negative (0: never)")
        }
        guard bucketMB > 0 && bucketMB.isFinite else {
            throw ConfigError(key: "distributed.bucket_mb", "must be a positive number of MiB, got \(bucketMB)")
        }
        guard blockSize > 0 && blockSize <= 1 << 20 else {
            throw ConfigError(key: "distributed.block_size", "must be between 1 and 1048576 values, got \(blockSize)")
        }
        guard compressionStartStep >= 0 else {
            throw ConfigError(key: "distributed.compression_start_step", "must not be negative (0: compress from the first step)")
        }
        guard powerSGDRank >= 1 && powerSGDRank <= 1024 else {
            throw ConfigError(key: "distributed.powersgd_rank", "must be between 1 and 1024, got \(powerSGDRank)")
        }
        if shardOptimizer && gradientCompression != .none {
            throw ConfigError(key: "distributed.shard_optimizer",
                              "works with gradient_compression: none only (its buckets are reduce-scattered to their "
                              + "owners in float32; \(gradientCompression.rawValue) sums whole buckets): set one of them back")
        }
        if wireZstd && !gradientCompression.isTwoPhase {
            throw ConfigError(key: "distributed.wire_zstd",
                              "compresses the byte payloads of fp16, bf16, int8 and onebit; with gradient_compression: "
                              + "\(gradientCompression.rawValue) there are none: set wire_zstd: false or choose one of those")
        }
        if gradientCompression.usesBlocks && bucketBytes / 4 < blockSize {
            throw ConfigError(key: "distributed.bucket_mb",
                              "a bucket of \(bucketMB) MiB holds \(bucketBytes / 4) values, fewer than one block of "
                              + "distributed.block_size = \(blockSize) for \(gradientCompression.rawValue): raise bucket_mb "
                              + "to at least \(String(format: "%g", Double(blockSize * 4) / 1_048_576)) or lower block_size")
        }
    }
}
