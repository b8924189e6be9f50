import Autograd
import Optim
import QCS

/// One optimisation step of the QCS recipe (QCS_SPEC.md, Optimisation):
///   1. zero gradients; forward + backward at w → g
///   2. SAM perturb: w ← w + ρ·g/(‖g‖ + 1e-12)
///   3. zero gradients; forward + backward on the same batch → g′
///   4. restore w exactly; the base optimizer steps with g′
/// BatchNorm runs in training mode in both passes, so running statistics move twice per step,
/// as in the official release. `exchangeGradients` is where a distributed run averages g and g′.
public final class SAMTrainingStep {
    public let model: QCSModel
    public let store: ParameterStore
    public let optimizer: Optimizer
    public let sam: SAM?
    public let graph: Graph
    /// Averages gradients over ranks (identity on one rank); called after each backward.
    public var exchangeGradients: (ParameterStore) -> Void = { _ in }
    /// Clip the gradient the optimizer uses to this global norm (nil: no clipping).
    public var clipGradientNorm: Float?

    public init(model: QCSModel, store: ParameterStore, optimizer: Optimizer, rho: Float? = 0.05,
                compute: ComputePool? = nil) {
        self.model = model
        self.store = store
        self.optimizer = optimizer
        sam = rho.map { SAM(count: store.values.count, rho: $0) }
        graph = Graph(parameters: store, compute: compute, training: true)
    }

    /// What the first pass measured.
    public struct Metrics {
        public var loss: Float
        public var baseLoss: Float
        public var crossLoss: Float
        public var baseAccuracy: Float
        public var crossAccuracy: Float
        public var gradientNorm: Double
    }

    /// Runs one full step on `batch` at learning rate `lr`. `rng` drives dropout; the second
    /// pass continues the stream (fresh masks), as the official PyTorch release does.
    @discardableResult
    public func step(_ batch: QuadrupletBatch, learningRate lr: Float, rng: inout SeededRNG) -> Metrics {
        step([batch], learningRate: lr, rng: &rng)
    }

    /// One step over several micro-batches (gradient accumulation): every pass runs all of them,
    /// each loss weighted 1/k, so the gradient is that of their mean loss. Metrics average them.
    @discardableResult
    public func step(_ batches: [QuadrupletBatch], learningRate lr: Float, rng: inout SeededRNG) -> Metrics {
        precondition(!batches.isEmpty, "a training step needs at least one batch")
        let slice = FlatSlice(store)
        var metrics = pass(batches, rng: &rng)
        if let sam {
            metrics.gradientNorm = sam.perturb(slice)
            _ = pass(batches, rng: &rng)
            sam.restore(slice)
        }
        if let clipGradientNorm {
            let norm = GradientClipping.clip(slice, maxNorm: clipGradientNorm)
            if sam == nil { metrics.gradientNorm = norm }
        } else if sam == nil {
            metrics.gradientNorm = FlatNorm.sumOfSquares(slice.gradients, count: slice.count).squareRoot()
        }
        optimizer.step(slice, learningRate: lr)
        return metrics
    }

    /// Zeroes the gradients, then forward + backward over every micro-batch.
    private func pass(_ batches: [QuadrupletBatch], rng: inout SeededRNG) -> Metrics {
        store.zeroGradients()
        let weight = 1 / Float(batches.count)
        var m = Metrics(loss: 0, baseLoss: 0, crossLoss: 0, baseAccuracy: 0, crossAccuracy: 0, gradientNorm: 0)
        for batch in batches {
            let out = model.trainingLoss(batch, graph: graph, rng: &rng)
            graph.backward(out.loss, seed: weight)
            m.loss += weight * out.loss.value[0]
            m.baseLoss += weight * out.baseLosses.reduce(0, +) / 4
            m.crossLoss += weight * out.crossLosses.reduce(0, +) / 4
            m.baseAccuracy += weight * out.baseAccuracy
            m.crossAccuracy += weight * out.crossAccuracy
            graph.reset()
        }
        exchangeGradients(store)
        return m
    }
}
