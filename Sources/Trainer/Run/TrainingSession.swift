import Config
import Autograd
import Checkpoint
import DataPipeline
import Distributed
import Foundation
import Inference
import Reports
import Optim
import QCS

/// The parts of a training run, built once by `TrainingRun` before its loop: data, model,
/// optimiser, gradient exchange, coordinator, and (rank 0) the run directory.
final class TrainingSession {
    let config: TrainingConfig
    let communicator: Communicator
    let train: [Sample], test: [Sample]
    let classCount: Int
    let classNames: [String]
    let compute: ComputePool
    let model: QCSModel
    let store: ParameterStore
    let step: SAMTrainingStep
    let schedule: LearningRateSchedule
    let planner: EpochPlanner
    let feeds: EpochFeeds
    let testRecipe: AugmentationRecipe
    var loaderOptions: LoaderOptions { feeds.loaderOptions }
    var badImages: BadImageHandler { feeds.badImages }
    private var skippedReported = 0
    var signals = SignalRequests()
    /// Rank 0's reporting (log, metrics, status, exports); nil on other ranks.
    let reporter: RunReporter?
    var speeds = RankSpeeds()
    let checkpoint: TrainingCheckpoint
    /// The thread that writes checkpoints while training goes on (nil: `checkpoint.background: false`).
    let saver: BackgroundCheckpointSaver?
    let bufferAverage: RunningStatisticsAverage
    let rankLog: RankLog
    /// A test's faults (`TrainingRun.Options.faults`; none in a real run).
    let faults: TestFaults
    /// What this rank is doing, and the thread that reports when that stops changing.
    let activity = RankActivity()
    let watchdog: StallWatchdog?

    init(config c: TrainingConfig, options: TrainingRun.Options, communicator comm: Communicator,
         messages: @escaping (RunMessage) -> Void, rankLog given: RankLog? = nil, recorder: FlightRecorder? = nil) throws {
        config = c
        communicator = comm
        faults = options.faults
        let rankLog = given ?? RankLog(rank: comm.rank, level: options.logLevel)
        self.rankLog = rankLog
        // Every rank logs its own setup (rank 0's lines reach its log through `messages`).
        let say: (String) -> Void = comm.isLeader ? { messages(RunMessage(.info, $0)) } : { rankLog.info($0) }
        let dataset = try DatasetReader(config: c.data).read()
        train = dataset.samples(.train)
        test = dataset.samples(.test)
        classCount = dataset.classNames.count
        classNames = dataset.classNames
        guard !train.isEmpty else { throw RunError.emptySplit(split: "train", dataset: c.data.root) }
        say("data: \(c.data.kind.rawValue) at \(c.data.root): \(train.count) training, \(test.count) test images, "
            + "\(classCount) classes")
        if !dataset.skipped.isEmpty {
            say("data: left out \(dataset.skipped.count) listed images that are not there (on_bad_image: skip), e.g. "
                + "\(dataset.skipped[0]); qcs data check lists them all")
        }

        if let warning = BLASKernels.warning { say("warning: \(warning)") }
        if let notice = c.run.precision.notice { say("warning: \(notice)") }
        compute = ComputePool(threads: c.run.threads > 0 ? c.run.threads
                                  : ComputePool.defaultThreadCount(ranksOnNode: comm.localSize), options: options.engine)
        if c.run.threads > 0, c.run.threads * comm.localSize > ComputePool.onlineCores {
            say("warning: train.threads \(c.run.threads) for each of \(comm.localSize) rank(s) on this node is more than its "
                + "\(ComputePool.onlineCores) cores: the threads take turns, which is slower (train.threads: 0 shares the "
                + "cores out)")
        }
        (model, store) = QCSModel.build(c.model, seed: c.run.seed)
        let agreement = WorldAgreement(config: c, options: options, train: train, test: test, parameters: store.values.count)
        try agreement.check(over: comm)
        say(String(format: "model: %.2fM parameters (%.2fM used at inference)",
                   Double(store.values.count) / 1e6, Double(model.inferenceParameterCount) / 1e6))
        if let path = options.initialWeights {
            // Every rank reads the same file, so every rank starts from the same weights.
            let report = try OfficialWeights.load(path, into: store, scope: options.initialScope, strict: false)
            say("initial weights: \(report.summary(limit: 5))")
            if report.loadedShare < TrainingRun.Options.partialLoadThreshold && !options.allowPartialInitialWeights {
                throw RunError.partialInitialWeights(path: path, share: report.loadedShare, report: report.summary(limit: 12))
            }
            let bad = store.nonFiniteTensors()
            if !bad.isEmpty { throw RunError.nonFiniteInitialWeights(path: path, tensors: bad) }
        }
        if c.run.precision == .bf16 {
            say("precision: bf16 matrix products on \(BFloat16Kernel.best), float32 weights, gradients and other ops")
        }
        if comm.size > 1 { try c.distributed.check(layout: store.layout) }
        let shards = comm.size > 1 && c.distributed.shardOptimizer
            ? ParameterShards(count: store.values.count, communicator: comm) : nil
        let synchronizer: GradientSynchronizer = comm.size > 1
            ? try BucketedGradientExchange(communicator: comm, store: store, bucketBytes: c.distributed.bucketBytes,
                                           bucketSum: c.distributed.makeBucketSum(compute: compute),
                                           streams: c.optim.samRho > 0 ? 2 : 1, owners: shards?.ranges)
            : LocalGradientAveraging(store: store)
        let optimizer = TrainingRun.makeOptimizer(c.optim, count: shards?.owned.count ?? store.values.count)
        step = SAMTrainingStep(model: model, store: store, optimizer: optimizer, rho: c.optim.samRho > 0 ? c.optim.samRho : nil,
                               compute: compute, synchronizer: synchronizer, shards: shards, normParts: comm.size,
                               precision: c.run.precision.matrixPrecision)
        step.clipGradientNorm = c.optim.clipGradNorm > 0 ? c.optim.clipGradNorm : nil
        if c.distributed.syncBatchStatistics && comm.size > 1 {
            step.graph.batchReduction = CommunicatorBatchReduction(communicator: comm)
        }
        bufferAverage = RunningStatisticsAverage(layout: store.layout)
        let checkpoint = TrainingCheckpoint(store: store, optimizer: step.optimizer, optimizerPiece: shards?.owned,
                                            compression: (synchronizer as? BucketedGradientExchange)?.bucketSum,
                                            runDirectory: options.runDirectory, config: c,
                                            trainList: agreement.trainList, fault: options.faults.killDuringSave,
                                            hosts: try HostMap.gather(options.hostName ?? HostName.current, over: comm),
                                            rank: comm.rank)
        self.checkpoint = checkpoint
        saver = c.checkpoint.background ? try BackgroundCheckpointSaver(over: comm) : nil
        if c.checkpoint.memoryEvery > 0 {
            try Collectively.run(comm) { try MemorySnapshotRoom.check(checkpoint, state: checkpoint.buffers) }
        }
        schedule = LearningRateSchedule(
            base: c.optim.learningRate,
            decay: c.optim.cosine ? .cosine(epochs: c.run.epochs, minimum: 0) : .exponential(gamma: c.optim.gamma),
            warmupSteps: c.optim.warmupSteps)

        testRecipe = try EpochFeeds.recipe(c, training: false)
        feeds = try EpochFeeds(config: c, train: train, classCount: classCount,
                               loaderOptions: LoaderOptions(threads: c.run.loaderThreads > 0 ? c.run.loaderThreads
                                                                : compute.threads, prefetch: c.run.prefetch),
                               badImages: BadImageHandler(policy: c.data.onBadImage))
        for warning in feeds.sampler.warnings { say("sampler: \(warning)") }
        let perEpoch = feeds.sampler.quadrupletsPerEpoch
        if c.run.batchSize > perEpoch {
            say("warning: train.batch_size \(c.run.batchSize) is more than the \(perEpoch) quadruplets of an epoch: each step "
                + "takes the whole epoch, \(perEpoch) quadruplets (a smaller batch_size gives more steps per epoch)")
        }
        planner = EpochPlanner(sampler: feeds.sampler, communicator: comm)
        if let problem = c.distributed.rankWeights.countProblem(worldSize: comm.size) {
            throw ConfigError(key: "distributed.rank_weights", problem + ": give one per rank, or auto")
        }

        watchdog = comm.size > 1 && c.distributed.stallSeconds > 0
            ? StallWatchdog(.init(seconds: c.distributed.stallSeconds, abort: c.distributed.stallAborts), rank: comm.rank,
                            size: comm.size, activity: activity, recorder: recorder, log: rankLog,
                            runDirectory: options.runDirectory, abort: { comm.abort(code: 1) })
            : nil
        reporter = try Self.leaderReporter(c, options, comm, messages)
        if c.checkpoint.memoryEvery > 0 || c.checkpoint.localDir != nil {
            reporter?.nodeCheckpoints = NodeCheckpointRecord(
                memoryDir: c.checkpoint.memoryEvery > 0 ? c.checkpoint.memoryDir : nil, localDir: c.checkpoint.localDir,
                runID: checkpoint.nodePaths.runID, hosts: checkpoint.hosts.hosts)
        }
        // Rank 0 holds the run directory's lock now. A log that cannot be written is said, not fatal.
        do {
            try rankLog.open(runDirectory: options.runDirectory)
        } catch {
            TrainingRun.speak(comm, "warning: no log of its own: \(error)")
        }
        let buckets = (synchronizer as? BucketedGradientExchange)?.plan.buckets.count
        say(Self.banner(c, comm: comm, threads: compute.threads, buckets: buckets))
        if let shards {
            let tensors = step.optimizer.state.count, mib = { (n: Int) in Double(n * tensors * 4) / 1_048_576 }
            say(String(format: "optimizer: state sharded over %d ranks (ZeRO-1): %.1f MiB per rank, %.1f MiB unsharded",
                       comm.size, mib(shards.owned.count), mib(store.values.count)))
        }
    }

    /// A line about this rank only: on its standard error and in its log.
    func speak(_ text: String) {
        TrainingRun.speak(communicator, text)
        rankLog.warning(text)
    }

    /// The step as this rank computed it, for `debug` logs: full-precision sums, so that one rank's
    /// figures can be compared with another's, or with a replay, digit for digit.
    func logStep(_ local: SAMTrainingStep.LocalResult, step: Int) {
        guard rankLog.level >= .debug else { return }
        rankLog.debug("step \(step): \(local.lossFigures) " + String(format: "gradient_norm %.17g compute %.3f s exchange %.3f s sent %d bytes",
                             local.gradientNorm, local.computeSeconds, local.exchangeSeconds, local.bytesSent))
    }

    /// What zstd saved on the wire so far (rank 0's payloads), with `wire_zstd`.
    var wireZstdGain: String? {
        guard config.distributed.wireZstd, let sum = (step.synchronizer as? BucketedGradientExchange)?.bucketSum else { return nil }
        let p = sum.payloadBytes
        guard p.sent > 0 else { return nil }
        return String(format: "wire_zstd: payloads %.3fx smaller so far (%@ sent for %@)", Double(p.raw) / Double(p.sent),
                      ProgressMeter.bytes(p.sent), ProgressMeter.bytes(p.raw))
    }

    /// The optimiser step, then (each rank having normalised with its own statistics) the
    /// running statistics made equal again.
    /// A finite loss and gradient can still overflow the weights (a huge learning rate): the replicas
    /// are identical, so every rank finds that alike and stops before anything is saved or exported.
    func applyUpdate(learningRate lr: Float, _ local: SAMTrainingStep.LocalResult, step number: Int) throws {
        try step.applyUpdate(learningRate: lr)
        if !config.distributed.syncBatchStatistics {
            try bufferAverage.apply(store, localSamples: local.samples, globalSamples: local.globalSamples, over: communicator)
        }
        guard store.isFinite else { throw RunError.updateNotFinite(step: number, checkpoint: checkpoint.latestName) }
    }

    /// The cursor to start from: a fresh one, or the one of the checkpoint `resume` names (its
    /// weights, statistics and optimiser state restored on every rank). A checkpoint that does not
    /// fit (another model, optimiser, data set, a bad shard) fails every rank alike.
    func resumedState(_ resume: TrainingRun.Resume?) throws -> TrainingState {
        let say: (String) -> Void = { if self.communicator.isLeader { self.reporter?.log($0) } }
        let (rank, size) = (communicator.rank, communicator.size)
        let restored: (state: TrainingState, changes: [String], compression: String?)
        let source: String
        switch resume {
        case nil:
            return TrainingState()
        case .directory(let path):
            (source, restored) = try Collectively.run(communicator) {
                let resolved = try CheckpointLocation.checkpoint(path)
                return (resolved, try checkpoint.restore(resolved, rank: rank, worldSize: size))
            }
        case .auto:
            let (found, problems) = checkpoint.reachable()
            let choice = try CheckpointAssembly.choose(found, problems: problems, hosts: checkpoint.hosts, over: communicator)
            for problem in choice.skipped { say("resume: skipped \(problem)") }
            guard let assembly = choice.assembly else {
                guard choice.skipped.isEmpty else {
                    throw RunError.noCompleteCheckpoint(directory: checkpoint.root, problems: choice.skipped)
                }
                let nodes = config.checkpoint.memoryEvery > 0 || config.checkpoint.localDir != nil ? " or on the nodes" : ""
                say("resume: no checkpoint in \(checkpoint.root)\(nodes); starting fresh")
                return TrainingState()
            }
            restored = try Collectively.run(communicator) { try checkpoint.restore(assembly, rank: rank, over: communicator) }
            source = assembly.tier == .shared ? assembly.directory ?? assembly.account
                : assembly.account + (assembly.directory.map { " in \($0)" } ?? "")
        }
        for change in restored.changes { say("resume: \(change) (taken from this run's config and command line)") }
        if let compression = restored.compression { say("resume: \(compression)") }
        let state = restored.state
        say("resume: \(source), epoch \(min(state.epoch, config.run.epochs - 1) + 1), step \(state.globalStep)")
        return state
    }

    /// Writes a checkpoint of `state` (every rank its shard): in the background, unless
    /// `checkpoint.background` is off or `wait` asks to have it on disk before going on (the end
    /// of a run). `evaluated`: the test accuracy of exactly these weights, when they were just evaluated.
    func saveCheckpoint(_ state: TrainingState, reason: String?, evaluated: Double? = nil, wait: Bool = false) throws {
        try save(state, kind: .durable, reason: reason, evaluated: evaluated, wait: wait)
    }

    /// Writes a snapshot of `state` into node memory (`checkpoint.memory_every`), in the background
    /// unless `checkpoint.background` is off.
    func saveMemorySnapshot(_ state: TrainingState) throws {
        try save(state, kind: .memory, reason: nil, evaluated: nil, wait: false)
    }

    private func save(_ state: TrainingState, kind: TrainingCheckpoint.Kind, reason: String?, evaluated: Double?,
                      wait: Bool) throws {
        activity.enter(.checkpoint, step: state.globalStep)
        let tag = kind == .memory ? TrainingSession.memoryTag : reason
        guard let saver else {
            let directory = try checkpoint.save(state, evaluated: evaluated, kind: kind, over: communicator)
            announce(.init(step: state.globalStep, directory: directory, tag: tag, seconds: 0))
            return
        }
        let hold = try checkpoint.startSave(state, evaluated: evaluated, kind: kind, on: saver, tag: tag)
        if hold.waitedSeconds >= 0.05 {
            reporter?.log(String(format: "checkpoint: step %d waited %.2f s for the previous save to finish "
                                 + "(checkpoints come faster than they are written)", state.globalStep, hold.waitedSeconds))
        }
        rankLog.debug(String(format: "checkpoint: step %d held training %.3f s (%.3f s waiting, %.3f s copying)",
                             state.globalStep, hold.seconds, hold.waitedSeconds, hold.copySeconds))
        if wait { try finishSaves() } else { observeSaves() }
    }

    /// Says which background saves have been published since the last look (rank 0).
    func observeSaves() {
        for finished in saver?.takeFinished() ?? [] { announce(finished) }
    }

    /// Waits for the save in flight, if any, and says it is published; throws its failure.
    func finishSaves() throws {
        try saver?.wait()
        observeSaves()
    }

    /// The tag of memory snapshots, which status.json and the checkpoint metrics leave out.
    static let memoryTag = "memory snapshot"

    private func announce(_ save: BackgroundCheckpointSaver.Finished) {
        if save.tag == Self.memoryTag {
            rankLog.debug(String(format: "memory snapshot of step %d in %@ (%.2f s on the save thread)", save.step,
                                 save.directory, save.seconds))
            return
        }
        reporter?.checkpointWritten(save.directory, step: save.step)
        if let reason = save.tag { reporter?.log("checkpoint (\(reason)): \(save.directory)") }
    }

    /// Images this rank's loaders dropped under `on_bad_image: skip` since the last call, said by
    /// the rank that met them (each rank decodes only its own slices).
    func reportSkippedImages() {
        let skipped = badImages.skipped
        guard skipped.count > skippedReported else { return }
        let new = skipped[skippedReported...]
        skippedReported = skipped.count
        let text = "dropped \(new.count) unreadable image\(new.count == 1 ? "" : "s") (on_bad_image: skip; "
            + "\(skipped.count) in all), e.g. \(new.first!); qcs data check lists them all"
        if communicator.isLeader { reporter?.warn(text) } else { speak("warning: " + text) }
    }

    func dropoutKey(_ state: TrainingState) -> UInt64 { state.dropoutKey(seed: config.run.seed) }

    /// The epoch's feed from the cursor on: rank 0's plan of `state.epoch`, cut into global batches
    /// and this rank's slices, from the cursor's next batch.
    func feed(_ state: TrainingState) throws -> StepFeed {
        try feeds.feed(plan: try planner.plan(epoch: state.epoch), epoch: state.epoch, skipping: state.batchInEpoch,
                       firstStep: state.globalStep + 1, rank: communicator.rank, worldSize: communicator.size,
                       rankWeights: rankWeights, fault: faults.step)
    }

    /// Every rank's report of step `number` made one decision (a test's fault strikes just before).
    func decide(_ report: RankReport, step number: Int) throws -> StepDecision {
        try faults.step?.inject(step: number, over: communicator)
        return try StepDecision.gather(report, over: communicator)
    }

    /// How each batch is shared out this epoch (nil: evenly).
    var rankWeights: [Double]? {
        config.distributed.rankWeights.weights(worldSize: communicator.size, measured: speeds.weights)
    }

    /// The base path's confusion matrix over the test split, each rank evaluating its part.
    func evaluate() throws -> ClassificationMetrics {
        let graph = Graph(parameters: store, compute: compute, training: false,
                          matrixPrecision: config.run.precision.matrixPrecision)
        let requiresGrad = store.requiresGrad
        store.requiresGrad = false
        defer { store.requiresGrad = requiresGrad }
        let evaluation = SplitEvaluation(samples: test, recipe: testRecipe, classes: classCount, options: loaderOptions,
                                         badImages: badImages)
        let confusion = try evaluation.confusion(rank: communicator.rank, worldSize: communicator.size) { images in
            defer { graph.reset() }
            return SplitEvaluation.rows(of: model.inferenceLogits(graph.input(images)).value)
        }
        var counts = confusion.flatFloats
        try communicator.allreduce(&counts, .sum)
        return ClassificationMetrics(confusion: ConfusionMatrix(classes: classCount, flat: counts) ?? confusion)
    }

    /// Rank 0's reporter (it opens and locks the run directory). Whether it could is shared with
    /// every rank, so a refused directory ends all of them in order rather than by abort.
    static func leaderReporter(_ c: TrainingConfig, _ options: TrainingRun.Options, _ comm: Communicator,
                               _ messages: @escaping (RunMessage) -> Void) throws -> RunReporter? {
        try Collectively.run(comm) { comm.isLeader ? try RunReporter(config: c, options: options, messages: messages) : nil }
    }

    static func banner(_ c: TrainingConfig, comm: Communicator, threads: Int, buckets: Int?) -> String {
        let perRank = Double(c.run.batchSize) / Double(comm.size)
        var lines = [String(format: "batch: %d quadruplets per global batch (%@ per rank)", c.run.batchSize,
                            perRank == perRank.rounded() ? "\(Int(perRank))" : String(format: "%.1f", perRank))]
        if comm.size == 1 {
            lines.append("world: 1 rank, \(threads) compute thread\(threads == 1 ? "" : "s")")
        } else {
            let sync = c.distributed.syncBatchStatistics ? "synchronised over ranks (exact global batch)" : "per rank"
            lines.append("world: \(comm.size) ranks (\(comm.localSize) on rank 0's node), \(threads) compute thread"
                         + "\(threads == 1 ? "" : "s") per rank, gradient buckets of \(c.distributed.bucketMB) MiB "
                         + "(\(buckets ?? 0) buckets, \(Self.wire(c.distributed))), "
                         + "batch statistics \(sync)")
        }
        return lines.joined(separator: "\n")
    }

    private static func wire(_ d: DistributedConfig) -> String {
        let c = d.gradientCompression
        let warmUp = d.compressionStartStep > 0 ? ", float32 for the first \(d.compressionStartStep) steps" : ""
        func ratio(_ bitsPerValue: Double) -> String { String(format: "%.1fx", 32 / bitsPerValue) }
        switch c {
        case .none: return "float32 on the wire"
        case .fp16, .bf16: return "\(c.rawValue) on the wire: half the bytes\(d.wireZstd ? ", then zstd" : "")"
        case .int8: return "int8 with error feedback on the wire, blocks of \(d.blockSize): "
            + "\(ratio(8 + 32 / Double(d.blockSize))) fewer bytes\(d.wireZstd ? ", then zstd" : "")\(warmUp)"
        case .onebit: return "signs with error feedback on the wire, blocks of \(d.blockSize): "
            + "\(ratio(1 + 8 / Double(d.blockSize))) fewer bytes\(d.wireZstd ? ", then zstd" : "")\(warmUp)"
        case .powersgd: return "PowerSGD rank \(d.powerSGDRank) with error feedback on the wire\(warmUp)"
        }
    }
}
