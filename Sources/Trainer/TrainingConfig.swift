import Autograd
import Config
import DataPipeline
import Foundation
import QCS

/// How parameters are updated: docs/MODEL.md's released defaults unless a config says otherwise.
public struct OptimConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case adam, adamw, sgd }
    public var kind = Kind.adam
    public var learningRate = 3e-6
    /// Exponential decay per epoch (lr·γ^epoch).
    public var gamma = 0.98
    public var warmupSteps = 0
    /// Cosine annealing over the run instead of exponential decay.
    public var cosine = false
    public var weightDecay: Float = 0
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// SAM's neighbourhood radius; 0 trains without SAM.
    public var samRho: Float = 0.05
    /// Global-norm clipping; 0 turns it off.
    public var clipGradNorm: Float = 0
    public var gradientAccumulation = 1

    public init() {}
}

/// The run itself: length, batch, seed, evaluation cadence, threads.
public struct RunConfig: Sendable, Equatable {
    public var epochs = 200
    /// Quadruplets per global batch (all ranks together).
    public var batchSize = 24
    public var seed: UInt64 = 0
    /// Evaluate on the test split every this many epochs (0: never).
    public var evalEvery = 1
    /// Compute threads per rank (0: the process's share of the cores).
    public var threads = 0
    /// Decoding/augmentation threads (0: as many as compute threads).
    public var loaderThreads = 0
    /// Batches prepared ahead of the step.
    public var prefetch = 2
    /// MiB per rank of training images kept decoded (and resized, where that makes them smaller)
    /// across epochs; 0 decodes every image on every use (`PreparedImageCache`).
    public var imageCacheMiB = 512
    /// Stop after this many steps per epoch (0: the whole epoch) — for demos and smoke tests.
    public var maxStepsPerEpoch = 0
    /// What a non-finite loss or gradient norm does.
    public var onNonFinite = NonFinitePolicy.stop
    /// How the matrix products multiply (docs/ENGINE.md, "Mixed precision").
    public var precision = ArithmeticPrecision.fp32

    public enum NonFinitePolicy: String, Sendable, CaseIterable {
        /// End the run at that step (status `failed`), keeping the last good weights.
        case stop
        /// Drop the step on every rank (no update, running statistics restored), count it, go on.
        case skipStep = "skip_step"
    }

    public init() {}
}

/// A whole configuration file: `model`, `data`, `optim` and `train` sections. Unknown keys in any
/// section are errors naming the key and the file.
public struct TrainingConfig: Sendable, Equatable {
    public var model: QCSConfig
    public var data: DatasetConfig
    public var optim: OptimConfig
    public var run: RunConfig
    public var distributed: DistributedConfig
    public var checkpoint: CheckpointConfig
    /// Where it was read from (for messages).
    public var source: String
    /// Every key of every section as this configuration resolved it (file, overrides, defaults),
    /// by dotted name: what a checkpoint records and a resume compares.
    public var resolved: [String: String]

    public init(model: QCSConfig, data: DatasetConfig, optim: OptimConfig = OptimConfig(), run: RunConfig = RunConfig(),
                distributed: DistributedConfig = DistributedConfig(), checkpoint: CheckpointConfig = CheckpointConfig(),
                source: String = "(built in code)", resolved: [String: String] = [:]) {
        self.model = model; self.data = data; self.optim = optim; self.run = run; self.distributed = distributed
        self.checkpoint = checkpoint
        self.source = source
        self.resolved = resolved
    }

    /// Reads `path`; `dataRoot` replaces `data.root` and `overrides` (dotted key → value) replace
    /// single keys, as if the file said so. A relative root is relative to the working directory,
    /// as any path given on the command line.
    public static func load(path: String, dataRoot: String? = nil, overrides: [String: String] = [:]) throws -> TrainingConfig {
        let text = try ConfigSection.readText(path)
        do {
            return try parse(yaml: text, source: path, dataRoot: dataRoot, overrides: overrides)
        } catch let error as ConfigError where !error.isFile {
            if let cited = error.citingCommandLine(overrides) { throw cited }
            throw ConfigError(key: error.key, "\(error.message) (in \(path))")
        }
    }

    public static func parse(yaml: String, source: String, dataRoot: String? = nil,
                             overrides: [String: String] = [:]) throws -> TrainingConfig {
        var overrides = overrides
        if let dataRoot { overrides["data.root"] = dataRoot }
        let top = try ConfigSection.parse(yaml: yaml, source: source, overrides: overrides)
        let model = try QCSConfig(section: top.section("model"))
        guard top.has("data") || dataRoot != nil else {
            throw ConfigError(key: "data", "missing: say which data set to read (kind and root)")
        }
        let data = try DatasetConfig(section: top.section("data"))
        let optim = try OptimConfig(section: top.section("optim"))
        let run = try RunConfig(section: top.section("train"))
        let distributed = try DistributedConfig(section: top.section("distributed"))
        let checkpoint = try CheckpointConfig(section: top.section("checkpoint"))
        try top.finish()
        if data.classNames.count != model.numClasses && !data.classNames.isEmpty {
            throw ConfigError(key: "model.num_classes",
                              "is \(model.numClasses) but the \(data.kind.rawValue) data set has \(data.classNames.count) classes")
        }
        return TrainingConfig(model: model, data: data, optim: optim, run: run, distributed: distributed,
                              checkpoint: checkpoint, source: source, resolved: top.resolved.values)
    }
}

extension OptimConfig {
    init(section s: ConfigSection) throws {
        self.init()
        kind = try s.choice("optimizer", default: kind, "optimizer")
        learningRate = try s.double("lr", default: learningRate)
        gamma = try s.double("gamma", default: gamma)
        warmupSteps = try s.int("warmup_steps", default: warmupSteps)
        cosine = try s.bool("cosine", default: cosine)
        weightDecay = try s.float("weight_decay", default: weightDecay)
        momentum = try s.float("momentum", default: momentum)
        beta1 = try s.float("beta1", default: beta1)
        beta2 = try s.float("beta2", default: beta2)
        epsilon = try s.float("eps", default: epsilon)
        samRho = try s.float("sam_rho", default: samRho)
        clipGradNorm = try s.float("clip_grad_norm", default: clipGradNorm)
        gradientAccumulation = try s.int("grad_accumulation", default: gradientAccumulation)
        try s.finish()
        func require(_ ok: Bool, _ key: String, _ message: String) throws {
            if !ok { throw ConfigError(key: "optim.\(key)", message) }
        }
        // Steps run in float32: a rate beyond its range would be an infinite one.
        try require(learningRate > 0 && learningRate <= Double(Float.greatestFiniteMagnitude), "lr",
                    "must be a positive float32, got \(learningRate)")
        try require(gamma > 0 && gamma <= 1, "gamma", "must be in (0, 1], got \(gamma)")
        try require(warmupSteps >= 0, "warmup_steps", "must not be negative")
        try require(weightDecay >= 0, "weight_decay", "must not be negative")
        try require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1)")
        try require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1)")
        try require(epsilon > 0, "eps", "must be positive")
        try require(samRho >= 0, "sam_rho", "must not be negative (0 turns SAM off)")
        try require(clipGradNorm >= 0, "clip_grad_norm", "must not be negative (0 turns clipping off)")
        try require(gradientAccumulation >= 1, "grad_accumulation", "must be at least 1")
    }
}

extension RunConfig {
    init(section s: ConfigSection) throws {
        self.init()
        epochs = try s.int("epochs", default: epochs)
        batchSize = try s.int("batch_size", default: batchSize)
        seed = UInt64(max(0, try s.int("seed", default: Int(seed))))
        evalEvery = try s.int("eval_every", default: evalEvery)
        threads = try s.int("threads", default: threads)
        loaderThreads = try s.int("loader_threads", default: loaderThreads)
        prefetch = try s.int("prefetch", default: prefetch)
        imageCacheMiB = try s.int("image_cache_mib", default: imageCacheMiB)
        maxStepsPerEpoch = try s.int("max_steps_per_epoch", default: maxStepsPerEpoch)
        onNonFinite = try s.choice("on_nonfinite", default: onNonFinite, "policy")
        precision = try s.choice("precision", default: precision, "precision")
        try s.finish()
        func require(_ ok: Bool, _ key: String, _ message: String) throws {
            if !ok { throw ConfigError(key: "train.\(key)", message) }
        }
        try require(epochs >= 1, "epochs", "must be at least 1")
        try require(batchSize >= 1, "batch_size", "must be at least 1")
        try require(evalEvery >= 0, "eval_every", "must not be negative (0: never)")
        for (key, value) in [("threads", threads), ("loader_threads", loaderThreads)] {
            if let problem = ComputePool.threadCountProblem(value, allowsAutomatic: true) { try require(false, key, problem) }
        }
        try require(prefetch >= 1 && prefetch <= 64, "prefetch", "must be between 1 and 64 batches, got \(prefetch)")
        try require(imageCacheMiB >= 0 && imageCacheMiB <= 1 << 30, "image_cache_mib",
                    "must be between 0 (no cache) and 2^30 MiB, got \(imageCacheMiB)")
        try require(maxStepsPerEpoch >= 0, "max_steps_per_epoch", "must not be negative (0: whole epochs)")
    }
}
