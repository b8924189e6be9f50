import Foundation

/// The learning rate at a point in training. The QCS recipe is exponential decay per epoch
/// (lr·γ^epoch, γ = 0.98); optional linear warm-up and cosine annealing cover other recipes.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: Sendable, Equatable {
        /// lr·γ^epoch (PyTorch ExponentialLR stepped once per epoch).
        case exponential(gamma: Double)
        /// Cosine from lr to `minimum` over `epochs` (counted after warm-up), then flat.
        case cosine(epochs: Int, minimum: Double)
        case constant
    }

    public var base: Double
    public var decay: Decay
    /// Linear ramp from 0 to the scheduled rate over this many optimizer steps.
    public var warmupSteps: Int

    public init(base: Double, decay: Decay = .exponential(gamma: 0.98), warmupSteps: Int = 0) {
        self.base = base
        self.decay = decay
        self.warmupSteps = warmupSteps
    }

    /// The rate for global optimizer step `step` (0-based) that falls in epoch `epoch` (0-based).
    public func rate(epoch: Int, step: Int) -> Float {
        var lr: Double
        switch decay {
        case .exponential(let gamma): lr = base * pow(gamma, Double(epoch))
        case .constant: lr = base
        case .cosine(let epochs, let minimum):
            let progress = min(1, Double(epoch) / Double(max(epochs, 1)))
            lr = minimum + (base - minimum) * 0.5 * (1 + cos(Double.pi * progress))
        }
        if warmupSteps > 0 && step < warmupSteps { lr *= Double(step + 1) / Double(warmupSteps) }
        return Float(lr)
    }
}
