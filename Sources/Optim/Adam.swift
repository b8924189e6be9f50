import Foundation
import Autograd

/// Adam (Kingma & Ba, 2015) with PyTorch's semantics, optionally with L2 weight decay added to
/// the gradient (`Adam(weight_decay=λ)`) or decoupled weight decay (AdamW, Loshchilov & Hutter).
///   1. g ← g + λ·w                       (L2 form only)
///   2. m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///   3. m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
///   4. w ← w − lr·λ·w                    (decoupled form only)
///   5. w ← w − lr·m̂/(√v̂ + ε)
public final class Adam: Optimizer {
    public struct Configuration: Sendable, Equatable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 0
        /// AdamW when true.
        public var decoupledWeightDecay = false
        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
                    decoupledWeightDecay: Bool = false) {
            self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
            self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay
        }
    }

    public let configuration: Configuration
    public let count: Int
    public var stepCount = 0
    private let moments: (first: Storage, second: Storage)
    var m: UnsafeMutablePointer<Float> { moments.first.pointer }
    var v: UnsafeMutablePointer<Float> { moments.second.pointer }

    public init(count: Int, configuration: Configuration = Configuration()) {
        self.count = count
        self.configuration = configuration
        moments = (Storage(zeros: count), Storage(zeros: count))
    }

    public var state: [(name: String, values: UnsafeMutablePointer<Float>)] { [("exp_avg", m), ("exp_avg_sq", v)] }

    public func step(_ slice: FlatSlice, learningRate lr: Float, compute: ComputePool?) {
        precondition(slice.count == count, "Adam state covers \(count) elements, slice has \(slice.count)")
        stepCount += 1
        let c = configuration
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(c.beta1), t))
        let correction2Sqrt = Float((1 - pow(Double(c.beta2), t)).squareRoot())
        let stepSize = lr / correction1
        let w = slice.values, g = slice.gradients, m = self.m, v = self.v
        let l2 = c.decoupledWeightDecay ? 0 : c.weightDecay
        let decay: Float = c.decoupledWeightDecay ? 1 - lr * c.weightDecay : 1
        FlatPass.run(count, compute: compute) { r in
            for i in r {
                let grad = g[i] + l2 * w[i]
                m[i] = c.beta1 * m[i] + (1 - c.beta1) * grad
                v[i] = c.beta2 * v[i] + (1 - c.beta2) * grad * grad
                let denominator = v[i].squareRoot() / correction2Sqrt + c.epsilon
                w[i] = w[i] * decay - stepSize * m[i] / denominator
            }
        }
    }
}
