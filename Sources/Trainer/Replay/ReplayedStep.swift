import Autograd
import Foundation

/// One step as `StepReplay` re-ran it on one rank: the first SAM pass's sums and where, if
/// anywhere, a NaN or infinity first appeared.
public struct ReplayedStep {
    /// Its number, from 1 (as the run's messages, metrics and checkpoint names count).
    public var step: Int
    public var epoch: Int
    public var batchInEpoch: Int
    public var result: SAMTrainingStep.LocalResult
    /// The error the rank met loading its slice (it then computes nothing that step, as in training).
    public var loadError: String?
    /// Images of the slice that hold a NaN or infinity after augmentation.
    public var nonFiniteInputs: [String]
    public var firstLeaf: NonFiniteWatch.Finding?
    public var firstOp: NonFiniteWatch.Finding?
    public var firstGradient: NonFiniteWatch.Finding?
    /// Parameters whose gradient holds a NaN or infinity, in the model's order.
    public var nonFiniteGradients: [String]
    public var parameterTensors: Int

    public var isFinite: Bool {
        result.lossIsFinite && result.gradientNorm.isFinite && nonFiniteInputs.isEmpty && firstLeaf == nil
            && firstOp == nil && firstGradient == nil && nonFiniteGradients.isEmpty
    }

    /// The step's line, whose first fields are those of the rank's debug log line for the step
    /// (`step N: samples … loss_sum … base_loss_sum … cross_loss_sum …`), then what was found.
    public var lines: [String] {
        var lines = ["step \(step): \(result.lossFigures) "
                     + String(format: "local_gradient_norm %.17g compute %.3f s", result.gradientNorm, result.computeSeconds)
                     + " (epoch \(epoch + 1), global batch \(batchInEpoch) of the epoch)\(isFinite ? "" : ": NON-FINITE")"]
        if let loadError { lines.append("  could not load this rank's slice: \(loadError)") }
        lines += nonFiniteInputs.prefix(8).map { "  non-finite input: \($0)" }
        if nonFiniteInputs.count > 8 { lines.append("  … and \(nonFiniteInputs.count - 8) more non-finite images") }
        if let firstLeaf { lines.append("  first non-finite leaf: \(firstLeaf)") }
        if let firstOp { lines.append("  first non-finite op (forward): \(firstOp)") }
        if let firstGradient { lines.append("  first non-finite gradient (backward, from the loss down): \(firstGradient)") }
        if !nonFiniteGradients.isEmpty {
            let shown = nonFiniteGradients.prefix(3).joined(separator: ", ")
            lines.append("  non-finite parameter gradients: \(nonFiniteGradients.count) of \(parameterTensors) tensors, "
                         + "first \(shown)\(nonFiniteGradients.count > 3 ? ", …" : "")")
        }
        return lines
    }
}
