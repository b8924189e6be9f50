import Autograd
import Checkpoint
import Config
import DataPipeline
import Distributed
import Foundation
import Optim
import QCS

/// `qcs debug replay`: rank R's share of the steps after a checkpoint, re-run in one process
/// without MPI. Each step is the first SAM pass of training (forward and backward at the
/// checkpoint's parameters, on the same slice, augmentations and dropout masks), with no update,
/// so the steps need no other rank: a rank's loss at a step is the same whichever steps came
/// before. Per step it reports the loss sums as the rank's debug log prints them, the local
/// gradient norm, and where the first NaN or infinity came from (`NonFiniteWatch`).
///
/// Per-rank batch statistics only: in exact mode (`sync_batch_statistics`) a rank's forward
/// needs every other rank's statistics.
public final class StepReplay {
    public struct Options {
        /// A checkpoint directory, or a run directory (its newest checkpoint).
        public var checkpoint: String
        public var rank: Int
        /// The world the steps after the checkpoint ran in (nil: the checkpoint's).
        public var worldSize: Int?
        public var steps = 1
        /// Compute threads (nil: `train.threads`, else every core); the results do not depend on it.
        public var threads: Int?
        public var dataRoot: String?
        /// Config keys replaced for the replay (dotted key → value); the run's values otherwise.
        public var overrides: [String: String] = [:]
        /// A test's bad input, replayed as the run met it (none unless a test asks).
        public var faults = TestFaults()
        /// The engine's switches; the results do not depend on them beyond float rounding.
        public var engine = EngineOptions()
        public init(checkpoint: String, rank: Int) {
            self.checkpoint = checkpoint
            self.rank = rank
        }
    }

    public let directory: String
    public let config: TrainingConfig
    /// The cursor the checkpoint saved: the first replayed step is number `start.globalStep + 1`.
    public let start: TrainingState
    public let rank: Int, worldSize: Int, steps: Int
    public let threads: Int
    /// What the caller should say before the steps (how the replay may differ from the run).
    public private(set) var notes: [String] = []

    private let train: [Sample]
    private let store: ParameterStore
    private let step: SAMTrainingStep
    private let feeds: EpochFeeds
    private let rankWeights: [Double]?
    private let watch = NonFiniteWatch()
    private let fault: TestFault?

    public init(_ options: Options) throws {
        let directory = try CheckpointLocation.checkpoint(options.checkpoint)
        self.directory = directory
        fault = options.faults.step
        let manifest = try CheckpointManifest.read(directory)
        let c = try Self.configuration(manifest, directory: directory, dataRoot: options.dataRoot,
                                       overrides: options.overrides)
        config = c
        guard let state = TrainingCheckpoint.savedState(manifest) else {
            throw ReplayError.notATrainingCheckpoint(directory: directory, missing: "training cursor")
        }
        guard state.epoch < c.run.epochs else { throw ReplayError.runFinished(directory: directory, epochs: c.run.epochs) }
        start = state
        rank = options.rank
        worldSize = options.worldSize ?? manifest.worldSize
        steps = options.steps
        guard worldSize >= 1, (0..<worldSize).contains(rank) else {
            throw ReplayError.rankOutOfRange(rank: rank, worldSize: worldSize)
        }
        if c.distributed.syncBatchStatistics && worldSize > 1 {
            throw ReplayError.batchStatisticsAcrossRanks(worldSize: worldSize)
        }
        if let problem = c.distributed.rankWeights.countProblem(worldSize: worldSize) {
            throw ReplayError.rankWeightsMismatch(problem)
        }
        rankWeights = c.distributed.rankWeights.weights(worldSize: worldSize, measured: nil)
        if c.distributed.rankWeights == .auto && worldSize > 1 {
            notes.append("distributed.rank_weights: auto: replayed with even slices, as a run resumed from this "
                         + "checkpoint starts; the run that went on from it may have split its batches by speed")
        }
        if !options.overrides.isEmpty {
            notes.append("replayed with " + options.overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ", ") + " instead of the run's value")
        }

        guard FileManager.default.fileExists(atPath: c.data.root) else {
            throw ReplayError.dataMissing(root: c.data.root, fromCommandLine: options.dataRoot != nil)
        }
        let dataset = try DatasetReader(config: c.data).read()
        train = dataset.samples(.train)
        if let saved = manifest.metadata[TrainingCheckpoint.Key.trainList],
           saved != String(WorldAgreement.fingerprint(train, root: c.data.root), radix: 16) {
            throw ReplayError.dataDiffers(root: c.data.root, directory: directory)
        }
        threads = options.threads ?? (c.run.threads > 0 ? c.run.threads : ComputePool.defaultThreadCount())
        let compute = ComputePool(threads: threads, options: options.engine)
        let (model, store) = QCSModel.build(c.model, seed: c.run.seed)
        self.store = store
        _ = try ShardedCheckpoint.load(directory, into: [CheckpointBuffer(name: "parameters", tensor: store.values),
                                                          CheckpointBuffer(name: "buffers", tensor: store.bufferValues)])
        // No update ever runs: the optimiser is only there because a step has one.
        step = SAMTrainingStep(model: model, store: store, optimizer: SGD(count: store.values.count), rho: nil,
                               compute: compute, synchronizer: LocalGradientAveraging(store: store),
                               precision: c.run.precision.matrixPrecision)
        step.graph.nonFiniteWatch = watch
        feeds = try EpochFeeds(config: c, train: train, classCount: dataset.classNames.count,
                               loaderOptions: LoaderOptions(threads: threads, prefetch: c.run.prefetch),
                               badImages: BadImageHandler(policy: c.data.onBadImage))
    }

    /// Replays the steps in order, handing each to `each` as soon as it is done; stops early at
    /// the end of the run.
    public func run(_ each: (ReplayedStep) throws -> Void) throws {
        var state = start
        var replayed = 0
        while replayed < steps, state.epoch < config.run.epochs {
            let plan = feeds.sampler.plan(epoch: state.epoch)
            let feed = try feeds.feed(plan: plan, epoch: state.epoch, skipping: state.batchInEpoch,
                                      firstStep: state.globalStep + 1, rank: rank, worldSize: worldSize,
                                      rankWeights: rankWeights, fault: fault)
            while replayed < steps, let input = feed.next() {
                try each(try replay(input, plan: plan, state: state))
                state.advance(batches: input.globalBatches, skipped: false)
                replayed += 1
            }
            if feed.stepsLeft == 0 { state.startNextEpoch() }
        }
    }

    private func replay(_ input: StepFeed.Input, plan: [Quadruplet], state: TrainingState) throws -> ReplayedStep {
        watch.clear()
        let inputs = input.batches.flatMap { nonFiniteImages($0, plan: plan) }
        let local = try step.computeGradients(input.batches, globalBatches: input.globalBatches,
                                              dropoutKey: state.dropoutKey(seed: config.run.seed), step: state.globalStep)
        let gradients = store.layout.parameters.filter { NonFiniteWatch.nonFiniteCounts(store.gradient($0)) != nil }
        // Back to the checkpoint's running statistics: every replayed step starts from them.
        step.discard()
        return ReplayedStep(step: state.globalStep + 1, epoch: state.epoch, batchInEpoch: state.batchInEpoch, result: local,
                            loadError: input.error.map { "\($0)" }, nonFiniteInputs: inputs, firstLeaf: watch.firstLeaf,
                            firstOp: watch.firstOp, firstGradient: watch.firstGradient,
                            nonFiniteGradients: gradients.map(\.name), parameterTensors: store.layout.parameters.count)
    }

    /// Each image of the batch that holds a NaN or infinity, named by branch, plan position and file.
    private func nonFiniteImages(_ batch: QuadrupletBatch, plan: [Quadruplet]) -> [String] {
        let branches = [("anchor", batch.anchor), ("positive", batch.positive), ("negative", batch.negative),
                        ("negative2", batch.negative2)]
        var found: [String] = []
        for (b, (name, images)) in branches.enumerated() {
            let per = images.count / max(batch.labels.count, 1)
            for (row, position) in batch.positions.enumerated() {
                let image = Tensor(shape: [per], storage: images.storage, offset: images.offset + row * per)
                guard let counts = NonFiniteWatch.nonFiniteCounts(image) else { continue }
                let file = plan.indices.contains(position) ? train[plan[position].image(branch: b)].source.description : "?"
                found.append("\(name) image of plan position \(position) (\(file)): \(counts.nan) NaN, "
                             + "\(counts.infinity) infinite of \(per) values")
            }
        }
        return found
    }

    /// The run's configuration as the checkpoint recorded it, key by key, with `overrides` and
    /// `dataRoot` on top.
    static func configuration(_ manifest: CheckpointManifest, directory: String, dataRoot: String?,
                              overrides: [String: String]) throws -> TrainingConfig {
        guard let saved = TrainingCheckpoint.savedConfiguration(manifest) else {
            throw ReplayError.notATrainingCheckpoint(directory: directory, missing: "configuration")
        }
        var keys = saved.merging(overrides) { _, replay in replay }
        if let dataRoot { keys["data.root"] = dataRoot }
        do {
            return try TrainingConfig.parse(yaml: "", source: directory + "/manifest.json", dataRoot: keys["data.root"],
                                            overrides: keys)
        } catch let error as ConfigError {
            throw error.citingCommandLine(overrides) ?? error
        }
    }
}
