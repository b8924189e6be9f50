import Autograd
import Distributed
import Foundation
import Optim
import QCS

/// One optimisation step of the QCS recipe (docs/MODEL.md, Optimisation), on one rank of any world:
///   1. zero gradients; forward + backward at w over this rank's micro-batches; exchange → g
///      (the sample-weighted mean over every rank's samples)
///   2. SAM perturb: w ← w + ρ·g/(‖g‖ + 1e-12)   (g is the same on every rank, so is ‖g‖)
///   3. zero gradients; forward + backward on the same batches; exchange → g′
///   4. restore w exactly; clip; then — once the ranks have agreed the step is good —
///      `applyUpdate` lets the base optimizer step with g′, or `discard` drops it.
/// BatchNorm runs in training mode in both passes, so running statistics move twice per step,
/// as in the official release.
///
/// Each backward is seeded with the batch's size, so the flat gradient holds this rank's sum over
/// its samples; the `GradientSynchronizer` turns the sums into the mean over all ranks. With
/// gradient accumulation only the last micro-batch's backward exchanges (DDP's `no_sync`).
public final class SAMTrainingStep {
    public let model: QCSModel
    public let store: ParameterStore
    public let optimizer: Optimizer
    public let sam: SAM?
    public let graph: Graph
    public let synchronizer: GradientSynchronizer
    /// Clip the gradient the optimizer uses to this global norm (nil: no clipping).
    public var clipGradientNorm: Float?
    /// ZeRO-1: the optimiser holds state for this rank's piece only and the exchange
    /// reduce-scatters (nil: every rank updates everything).
    public let shards: ParameterShards?
    /// Gradient norms are summed in this many `EvenSplit` pieces (the world size), so a sharded
    /// run and an unsharded one take the same norm bit for bit.
    public let normParts: Int
    /// The running statistics at the start of the step, put back by `discard`.
    private let savedBuffers: Tensor

    /// One quadruplet of zero images: what a rank with an empty slice computes in exact mode, so
    /// it makes the same collectives as the others.
    /// A micro-batch with no quadruplets (it runs as the stand-in in exact mode).
    private lazy var emptyBatch: QuadrupletBatch = {
        let s = model.config.imageSize
        func none() -> Tensor { Tensor(zeros: [0, 3, s, s]) }
        return QuadrupletBatch(anchor: none(), positive: none(), negative: none(), negative2: none(), labels: [],
                               negativeLabels: [])
    }()

    private lazy var standInBatch: QuadrupletBatch = {
        let s = model.config.imageSize
        func zeros() -> Tensor { Tensor(zeros: [1, 3, s, s]) }
        return QuadrupletBatch(anchor: zeros(), positive: zeros(), negative: zeros(), negative2: zeros(), labels: [0],
                               negativeLabels: [1 % max(model.config.numClasses, 1)], positions: [0])
    }()

    public init(model: QCSModel, store: ParameterStore, optimizer: Optimizer, rho: Float? = 0.05,
                compute: ComputePool? = nil, synchronizer: GradientSynchronizer? = nil, shards: ParameterShards? = nil,
                normParts: Int = 1, precision: MatrixPrecision = .float32) {
        precondition(shards.map { optimizer.count == $0.owned.count } ?? (optimizer.count == store.values.count),
                     "the optimizer's state must cover the rank's piece (ZeRO-1) or the whole model")
        self.model = model
        self.store = store
        self.optimizer = optimizer
        self.shards = shards
        self.normParts = shards.map { $0.ranges.count } ?? max(1, normParts)
        sam = rho.map { SAM(count: store.values.count, rho: $0) }
        graph = Graph(parameters: store, compute: compute, training: true, matrixPrecision: precision)
        self.synchronizer = synchronizer ?? LocalGradientAveraging(store: store)
        graph.gradientObserver = self.synchronizer
        savedBuffers = Tensor(zeros: [store.bufferValues.count])
    }

    /// What this rank measured in one step's first pass, as sums over its samples (so ranks add
    /// them up), and what the exchange reported.
    public struct LocalResult {
        /// Quadruplets this rank computed, and all ranks together.
        public var samples = 0
        public var globalSamples = 0
        public var lossSum = 0.0, baseLossSum = 0.0, crossLossSum = 0.0
        /// Right answers among the 4·samples images, base and cross heads.
        public var baseCorrect = 0, crossCorrect = 0
        /// ‖g‖ of the first pass's global gradient, and of the gradient the update uses (g′ under
        /// SAM), before clipping; both the same on every rank.
        public var gradientNorm = 0.0, updateGradientNorm = 0.0
        public var lossIsFinite = true
        /// Compute seconds; exchange seconds not hidden behind backward; the exchange's own seconds.
        public var computeSeconds = 0.0, exchangeSeconds = 0.0, communicationSeconds = 0.0
        /// Bytes this rank sent in the step's exchanges, and what float32 buckets would have sent.
        public var bytesSent = 0, fullPrecisionBytes = 0

        public var gradientIsFinite: Bool { gradientNorm.isFinite && updateGradientNorm.isFinite }
        /// The first pass's sums in full precision (`samples … loss_sum … base_loss_sum …
        /// cross_loss_sum …`): what a rank's debug log and `qcs debug replay` print, so that the
        /// two can be compared digit for digit.
        /// The sums every rank adds in the step's decision.
        public var figures: StepFigures {
            StepFigures(lossSum: lossSum, baseLossSum: baseLossSum, crossLossSum: crossLossSum,
                        baseCorrect: Double(baseCorrect), crossCorrect: Double(crossCorrect))
        }

        public var lossFigures: String {
            String(format: "samples %d loss_sum %.17g base_loss_sum %.17g cross_loss_sum %.17g", samples, lossSum,
                   baseLossSum, crossLossSum)
        }
        /// How many times fewer bytes than float32 buckets this rank sent (1: uncompressed).
        public var wireReduction: Double { bytesSent > 0 ? Double(fullPrecisionBytes) / Double(bytesSent) : 1 }
    }

    /// Means of one step (one rank's view of them when alone).
    public struct Metrics {
        public var loss: Float
        public var baseLoss: Float
        public var crossLoss: Float
        public var baseAccuracy: Float
        public var crossAccuracy: Float
        public var gradientNorm: Double
    }

    /// Steps 1–3 on this rank's micro-batches (possibly none: an empty slice still exchanges).
    /// Dropout masks are keyed by `dropoutKey` (unique per step), the pass, and each sample's plan
    /// position: the second pass draws fresh masks, as the official PyTorch release does.
    ///
    /// `globalBatches` is the number of global batches the step covers (one micro-batch each): in
    /// exact mode every rank runs that many forward passes whatever it holds, stand-ins filling in
    /// for missing or empty slices, since each pass is a sequence of collectives.
    ///
    /// `step` is the global step: compressors with a warm-up or state key on it.
    public func computeGradients(_ batches: [QuadrupletBatch], globalBatches: Int? = nil,
                                 dropoutKey: UInt64, step: Int = 0) throws -> LocalResult {
        savedBuffers.assign(store.bufferValues)
        let slice = FlatSlice(store)
        var batches = batches
        if graph.batchReduction != nil, let globalBatches, batches.count < globalBatches {
            batches += Array(repeating: emptyBatch, count: globalBatches - batches.count)
        }
        var result = try pass(batches, dropoutKey: DropoutStream.key(dropoutKey, 1), stream: 0, step: step, measure: true)
        guard result.globalSamples > 0 else { return result }
        if let sam {
            result.gradientNorm = sam.perturb(slice, globalSumOfSquares: try gradientSumOfSquares(), only: shards?.owned,
                                              compute: graph.compute)
            if let shards { result.bytesSent += try shards.allgather(store.values.data) }
            let second = try pass(batches, dropoutKey: DropoutStream.key(dropoutKey, 2), stream: 1, step: step,
                                  measure: false)
            result.computeSeconds += second.computeSeconds
            result.exchangeSeconds += second.exchangeSeconds
            result.communicationSeconds += second.communicationSeconds
            result.bytesSent += second.bytesSent
            result.fullPrecisionBytes += second.fullPrecisionBytes
            sam.restore(slice, compute: graph.compute)
        }
        // The norm of the gradient the update would use (g′ under SAM), global like the gradient.
        let sumOfSquares = try gradientSumOfSquares()
        if let clipGradientNorm {
            result.updateGradientNorm = GradientClipping.clip(updateSlice, maxNorm: clipGradientNorm,
                                                              globalSumOfSquares: sumOfSquares)
        } else {
            result.updateGradientNorm = sumOfSquares.squareRoot()
        }
        if sam == nil { result.gradientNorm = result.updateGradientNorm }
        return result
    }

    /// The part of the flat buffers this rank's optimiser updates.
    private var updateSlice: FlatSlice { FlatSlice(store, range: shards?.owned) }

    /// ‖g‖² of the global gradient (collective under ZeRO-1, where each rank holds its piece).
    private func gradientSumOfSquares() throws -> Double {
        if let shards { return try shards.sumOfSquares(store.gradients.data) }
        return FlatNorm.sumOfSquares(store.gradients.data, count: store.gradients.count, parts: normParts, compute: graph.compute)
    }

    /// Step 4: the base optimizer steps with the gradient `computeGradients` left (under ZeRO-1
    /// on this rank's piece, then every rank gathers the others': collective).
    public func applyUpdate(learningRate lr: Float) throws {
        optimizer.step(updateSlice, learningRate: lr, compute: graph.compute)
        if let shards { try shards.allgather(store.values.data) }
    }

    /// Drops the step: parameters are already back at w; running statistics go back too.
    public func discard() {
        store.bufferValues.assign(savedBuffers)
    }

    /// A whole step on one rank: compute, then update. For a world of one (tests, benchmarks).
    @discardableResult
    public func step(_ batch: QuadrupletBatch, learningRate lr: Float, dropoutKey: UInt64 = 0) throws -> Metrics {
        try step([batch], learningRate: lr, dropoutKey: dropoutKey)
    }

    @discardableResult
    public func step(_ batches: [QuadrupletBatch], learningRate lr: Float, dropoutKey: UInt64 = 0) throws -> Metrics {
        let r = try computeGradients(batches, dropoutKey: dropoutKey)
        try applyUpdate(learningRate: lr)
        let n = Double(max(r.samples, 1)), images = 4 * n
        return Metrics(loss: Float(r.lossSum / n), baseLoss: Float(r.baseLossSum / n), crossLoss: Float(r.crossLossSum / n),
                       baseAccuracy: Float(Double(r.baseCorrect) / images), crossAccuracy: Float(Double(r.crossCorrect) / images),
                       gradientNorm: r.gradientNorm)
    }

    /// Zeroes the gradients, then forward + backward over every micro-batch, seeded with its size;
    /// the last backward exchanges. Empty micro-batches are skipped, except in exact mode
    /// (`graph.batchReduction`), where every rank must make the same batch-wide collectives:
    /// there an empty one runs as a stand-in quadruplet that contributes nothing (seed 0).
    private func pass(_ batches: [QuadrupletBatch], dropoutKey: UInt64, stream: Int, step: Int,
                      measure: Bool) throws -> LocalResult {
        store.zeroGradients(compute: graph.compute)
        var r = LocalResult()
        r.samples = batches.reduce(0) { $0 + $1.labels.count }
        let start = DispatchTime.now().uptimeNanoseconds
        let exact = graph.batchReduction != nil
        let run = exact ? batches : batches.filter { !$0.labels.isEmpty }
        if run.isEmpty { try synchronizer.beginPass(localSamples: 0, stream: stream, step: step) }
        defer { graph.batchReduction?.contributes = true }
        for (k, real) in run.enumerated() {
            let standIn = real.labels.isEmpty
            let batch = standIn ? standInBatch : real
            graph.batchReduction?.contributes = !standIn
            let b = real.labels.count
            let out = model.trainingLoss(batch, graph: graph, dropoutKey: dropoutKey)
            if k == run.count - 1 { try synchronizer.beginPass(localSamples: r.samples, stream: stream, step: step) }
            graph.backward(out.loss, seed: Float(b))
            if measure && !standIn {
                let loss = Double(out.loss.value[0])
                r.lossIsFinite = r.lossIsFinite && loss.isFinite
                r.lossSum += loss * Double(b)
                r.baseLossSum += Double(out.baseLosses.reduce(0, +)) / 4 * Double(b)
                r.crossLossSum += Double(out.crossLosses.reduce(0, +)) / 4 * Double(b)
                r.baseCorrect += Int((out.baseAccuracy * Float(4 * b)).rounded())
                r.crossCorrect += Int((out.crossAccuracy * Float(4 * b)).rounded())
            }
            graph.reset()
        }
        let report = try synchronizer.finish()
        r.globalSamples = report.globalSamples
        r.exchangeSeconds = report.exposedSeconds
        r.communicationSeconds = report.communicationSeconds
        r.computeSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - report.exposedSeconds
        r.bytesSent = report.bytesSent
        r.fullPrecisionBytes = report.fullPrecisionBytes
        return r
    }
}
