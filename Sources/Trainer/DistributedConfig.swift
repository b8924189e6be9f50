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

    public enum GradientCompression: String, Sendable, CaseIterable {
        case none, fp16, bf16

        public var bucketSum: BucketSum {
            switch self {
            case .none: FullPrecisionSum()
            case .fp16: HalfPrecisionSum(format: .fp16)
            case .bf16: HalfPrecisionSum(format: .bf16)
            }
        }
    }

    public enum RankWeights: Sendable, Equatable {
        /// Near-equal slices (`GlobalBatch.slice`).
        case equal
        /// Slices proportional to these weights, one per rank.
        case fixed([Double])
        /// Slices proportional to each rank's measured speed over the previous epoch.
        case auto
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
        let compression = try s.string("gradient_compression", default: gradientCompression.rawValue)
        guard let c = GradientCompression(rawValue: compression) else {
            throw ConfigError(key: "distributed.gradient_compression",
                              "unknown compression '\(compression)'; choose one of "
                              + GradientCompression.allCases.map(\.rawValue).joined(separator: ", "))
        }
        gradientCompression = c
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
    }
}
