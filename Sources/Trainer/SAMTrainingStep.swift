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
        let slice = FlatSlice(store)
        let first = pass(batch, rng: &rng)
        var metrics = Metrics(loss: first.loss.value[0], baseLoss: first.baseLosses.reduce(0, +) / 4,
                              crossLoss: first.crossLosses.reduce(0, +) / 4, baseAccuracy: first.baseAccuracy,
                              crossAccuracy: first.crossAccuracy, gradientNorm: 0)
        graph.reset()
        if let sam {
            metrics.gradientNorm = sam.perturb(slice)
            _ = pass(batch, rng: &rng)
            graph.reset()
            sam.restore(slice)
        } else {
            metrics.gradientNorm = FlatNorm.sumOfSquares(slice.gradients, count: slice.count).squareRoot()
        }
        optimizer.step(slice, learningRate: lr)
        return metrics
    }

    private func pass(_ batch: QuadrupletBatch, rng: inout SeededRNG) -> TrainingOutput {
        store.zeroGradients()
        let out = model.trainingLoss(batch, graph: graph, rng: &rng)
        graph.backward(out.loss)
        exchangeGradients(store)
        return out
    }
}
