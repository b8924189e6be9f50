import Autograd
import Checkpoint
import DataPipeline
import Foundation
import Optim
import QCS

/// One training run on one rank: data set → quadruplet plan per epoch → background loader →
/// SAM(Adam) steps → evaluation → metrics, status and exported weights in the run directory.
///
/// The loop, per step: next batch, learning rate from the schedule, `SAMTrainingStep.step`, one
/// log line; then at the step boundary: operator signals (SIGUSR1 exports and continues,
/// SIGTERM/SIGINT export and stop).
public final class TrainingRun {
    public struct Options {
        public var runDirectory: String
        /// Weights to start from (official names), and whether all of them or only `ir_back.*`.
        public var initialWeights: String?
        public var initialScope: OfficialWeights.Scope = .wholeModel
        /// Log a progress line every this many steps.
        public var logEvery = 10
        public init(runDirectory: String) { self.runDirectory = runDirectory }
    }

    public enum Outcome: Equatable {
        case finished
        /// Stopped by a signal after exporting weights.
        case stopped(signal: Int32)
    }

    public let config: TrainingConfig
    public let options: Options
    let log: (String) -> Void

    public init(config: TrainingConfig, options: Options, log: @escaping (String) -> Void) {
        self.config = config
        self.options = options
        self.log = log
    }

    @discardableResult
    public func run() throws -> Outcome {
        let c = config
        let run = try RunDirectory(path: options.runDirectory)
        let dataset = try DatasetReader(config: c.data).read()
        let train = dataset.samples(.train), test = dataset.samples(.test)
        guard !train.isEmpty else { throw RunError.emptySplit(split: "train", dataset: c.data.root) }
        log("data: \(c.data.kind.rawValue) at \(c.data.root): \(train.count) training, \(test.count) test images, "
            + "\(dataset.classNames.count) classes")

        let compute = ComputePool(threads: c.run.threads > 0 ? c.run.threads : nil)
        let (model, store) = QCSModel.build(c.model, seed: c.run.seed)
        log(String(format: "model: %.2fM parameters (%.2fM used at inference)",
                   Double(store.values.count) / 1e6, Double(model.inferenceParameterCount) / 1e6))
        if let path = options.initialWeights {
            let report = try OfficialWeights.load(path, into: store, scope: options.initialScope, strict: false)
            log("initial weights: \(report.summary(limit: 5))")
        }
        let optimizer = Self.makeOptimizer(c.optim, count: store.values.count)
        let step = SAMTrainingStep(model: model, store: store, optimizer: optimizer,
                                   rho: c.optim.samRho > 0 ? c.optim.samRho : nil, compute: compute)
        step.clipGradientNorm = c.optim.clipGradNorm > 0 ? c.optim.clipGradNorm : nil
        let schedule = LearningRateSchedule(
            base: c.optim.learningRate,
            decay: c.optim.cosine ? .cosine(epochs: c.run.epochs, minimum: 0) : .exponential(gamma: c.optim.gamma),
            warmupSteps: c.optim.warmupSteps)

        // List and folder layouts have no recipe of their own in the paper: they get RAF-DB's.
        let recipeKind = AugmentationRecipe.Kind(c.data.kind) ?? .rafdb
        let trainRecipe = try AugmentationRecipe(kind: recipeKind, options: .init(training: true, outputSize: c.model.imageSize))
        let testRecipe = try AugmentationRecipe(kind: recipeKind, options: .init(training: false, outputSize: c.model.imageSize))
        let sampler = try QuadrupletSampler(labels: train.map(\.label), classCount: dataset.classNames.count,
                                            rule: SamplingRule(c.data.kind), seed: c.run.seed)
        for warning in sampler.warnings { log("sampler: \(warning)") }
        let loaderOptions = LoaderOptions(threads: c.run.loaderThreads > 0 ? c.run.loaderThreads : compute.threads,
                                          prefetch: c.run.prefetch)
        let badImages = BadImageHandler(policy: c.data.onBadImage)
        let signals = SignalWatcher()

        var globalStep = 0
        let stepsPerEpoch = Self.stepsPerEpoch(sampler.quadrupletsPerEpoch, c.run,
                                               accumulation: c.optim.gradientAccumulation)
        var meter = ProgressMeter(total: stepsPerEpoch * c.run.epochs)
        meter.record(done: 0)
        var bestAccuracy: Double?
        for epoch in 0..<c.run.epochs {
            var rng = SeededRNG(seed: c.run.seed, stream: 0xD20 + UInt64(epoch))
            var batches = try sampler.plan(epoch: epoch).batches(batchSize: c.run.batchSize)
            if c.run.maxStepsPerEpoch > 0 { batches = Array(batches.prefix(c.run.maxStepsPerEpoch)) }
            let loader = try QuadrupletLoader(samples: train, recipe: trainRecipe, batches: batches, rank: 0, worldSize: 1,
                                              seed: c.run.seed, epoch: epoch, options: loaderOptions, badImages: badImages)
            var epochLoss = 0.0, epochAccuracy = 0.0, steps = 0
            let accumulation = c.optim.gradientAccumulation
            while let micro = try nextMicroBatches(loader, count: accumulation) {
                let lr = schedule.rate(epoch: epoch, step: globalStep)
                let m = step.step(micro, learningRate: lr, rng: &rng)
                globalStep += 1
                steps += 1
                epochLoss += Double(m.loss)
                epochAccuracy += Double(m.baseAccuracy)
                meter.record(done: globalStep)
                run.appendMetrics(["kind": "step", "epoch": epoch + 1, "step": globalStep, "loss": Double(m.loss),
                                   "base_loss": Double(m.baseLoss), "cross_loss": Double(m.crossLoss),
                                   "base_accuracy": Double(m.baseAccuracy), "cross_accuracy": Double(m.crossAccuracy),
                                   "grad_norm": m.gradientNorm, "lr": Double(lr)])
                if globalStep % options.logEvery == 0 || steps == stepsPerEpoch {
                    let rate = meter.rate.map { String(format: "%.2f steps/s", $0) } ?? "—"
                    let eta = meter.remaining.map(ProgressMeter.duration) ?? "—"
                    log(String(format: "epoch %d/%d step %d/%d  loss %.4f  base acc %.3f  cross acc %.3f  lr %.2e  %@  ETA %@",
                               epoch + 1, c.run.epochs, steps, stepsPerEpoch, m.loss, m.baseAccuracy, m.crossAccuracy,
                               lr, rate, eta))
                }
                try writeStatus(run, state: "training", epoch: epoch, step: globalStep, loss: m.loss, best: bestAccuracy)
                if signals.takeCheckpointRequest() {
                    try export(store, run: run, epoch: epoch, reason: "SIGUSR1")
                }
                if let sig = signals.stopRequest {
                    try export(store, run: run, epoch: epoch, reason: "signal \(sig)")
                    try writeStatus(run, state: "stopped", epoch: epoch, step: globalStep, loss: m.loss, best: bestAccuracy)
                    log("stopped by signal \(sig) after step \(globalStep); weights in \(run.latestWeights.path)")
                    return .stopped(signal: sig)
                }
            }
            let meanLoss = steps > 0 ? epochLoss / Double(steps) : .nan
            var record: [String: Any] = ["kind": "epoch", "epoch": epoch + 1, "step": globalStep, "loss": meanLoss,
                                         "train_base_accuracy": steps > 0 ? epochAccuracy / Double(steps) : 0]
            if c.run.evalEvery > 0, (epoch + 1) % c.run.evalEvery == 0 || epoch + 1 == c.run.epochs, !test.isEmpty {
                let metrics = try evaluate(model: model, store: store, samples: test, recipe: testRecipe,
                                           classes: dataset.classNames.count, compute: compute, options: loaderOptions,
                                           badImages: badImages)
                record["test_accuracy"] = metrics.accuracy
                record["test_mean_class_accuracy"] = metrics.meanClassAccuracy
                bestAccuracy = max(bestAccuracy ?? 0, metrics.accuracy)
                log(String(format: "epoch %d/%d: train loss %.4f, test accuracy %.4f (mean class %.4f)",
                           epoch + 1, c.run.epochs, meanLoss, metrics.accuracy, metrics.meanClassAccuracy))
            }
            run.appendMetrics(record)
            try export(store, run: run, epoch: epoch, reason: nil)
        }
        try writeStatus(run, state: "finished", epoch: c.run.epochs - 1, step: globalStep, loss: nil, best: bestAccuracy)
        log("finished: \(globalStep) steps; weights in \(run.latestWeights.path)")
        return .finished
    }

    /// Up to `count` non-empty batches from the loader (one optimizer step's worth); nil at the end.
    private func nextMicroBatches(_ loader: QuadrupletLoader, count: Int) throws -> [QuadrupletBatch]? {
        var batches: [QuadrupletBatch] = []
        while batches.count < count, let loaded = try loader.next() {
            if !loaded.batch.labels.isEmpty { batches.append(loaded.batch) }
        }
        return batches.isEmpty ? nil : batches
    }

    static func makeOptimizer(_ o: OptimConfig, count: Int) -> Optimizer {
        switch o.kind {
        case .adam, .adamw:
            return Adam(count: count, configuration: .init(beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon,
                                                           weightDecay: o.weightDecay,
                                                           decoupledWeightDecay: o.kind == .adamw))
        case .sgd:
            return SGD(count: count, configuration: .init(momentum: o.momentum, weightDecay: o.weightDecay))
        }
    }

    static func stepsPerEpoch(_ quadruplets: Int, _ r: RunConfig, accumulation: Int) -> Int {
        let full = (quadruplets + r.batchSize - 1) / r.batchSize
        let batches = r.maxStepsPerEpoch > 0 ? min(full, r.maxStepsPerEpoch) : full
        return (batches + accumulation - 1) / accumulation
    }

    /// Exports the weights of `epoch` and points `latest` at them (each file written atomically).
    private func export(_ store: ParameterStore, run: RunDirectory, epoch: Int, reason: String?) throws {
        let file = run.epochWeights(epoch)
        try OfficialWeights.export(store, config: config.model, to: file.path)
        try OfficialWeights.export(store, config: config.model, to: run.latestWeights.path)
        if let reason { log("exported weights (\(reason)) to \(file.path)") }
    }

    private func writeStatus(_ run: RunDirectory, state: String, epoch: Int, step: Int, loss: Float?, best: Double?) throws {
        var status: [String: Any] = ["state": state, "epoch": epoch + 1, "epochs": config.run.epochs, "step": step,
                                     "config": config.source, "updated": ISO8601DateFormatter().string(from: Date())]
        if let loss { status["loss"] = Double(loss) }
        if let best { status["best_test_accuracy"] = best }
        try run.writeStatus(status)
    }

    /// The base path's confusion matrix over `samples`, read by the background `EvaluationLoader`.
    private func evaluate(model: QCSModel, store: ParameterStore, samples: [Sample], recipe: AugmentationRecipe,
                          classes: Int, compute: ComputePool, options: LoaderOptions,
                          badImages: BadImageHandler) throws -> ClassificationMetrics {
        let loader = try EvaluationLoader(samples: samples, recipe: recipe, batchSize: 32, rank: 0, worldSize: 1,
                                          options: options, badImages: badImages)
        let graph = Graph(parameters: store, compute: compute, training: false)
        let requiresGrad = store.requiresGrad
        store.requiresGrad = false
        defer { store.requiresGrad = requiresGrad }
        var confusion = ConfusionMatrix(classes: classes)
        while let batch = try loader.next() {
            guard !batch.labels.isEmpty else { continue }
            let predicted = model.inferenceLogits(graph.input(batch.images)).value.rowArgmax()
            for (y, best) in zip(batch.labels, predicted) { _ = confusion.add(truth: y, predicted: best) }
            graph.reset()
        }
        return ClassificationMetrics(confusion: confusion)
    }
}
