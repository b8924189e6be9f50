import Foundation

/// What rank 0's progress line says about one step: where the run is, how it learns, how fast
/// it goes and where the time goes.
struct ProgressFigures {
    var epoch: Int, epochs: Int, stepInEpoch: Int, stepsInEpoch: Int, step: Int, totalSteps: Int
    var loss: Double, baseLoss: Double, crossLoss: Double, baseAccuracy: Double, crossAccuracy: Double
    var learningRate: Float
    /// Quadruplets per second over all ranks (nil until measured).
    var samplesPerSecond: Double?
    var remaining: Double?
    /// Rank 0's exposed exchange time over its step time.
    var exchangeShare: Double
    /// Bytes rank 0 sent and the reduction against float32 (nil on one rank).
    var wire: (bytes: Int, reduction: Double)?

    var line: String {
        var parts = [
            "epoch \(epoch)/\(epochs) step \(stepInEpoch)/\(stepsInEpoch) (\(step)/\(totalSteps))",
            format("loss %.4f (base %.4f cross %.4f)", loss, baseLoss, crossLoss),
            format("acc base %.3f cross %.3f", baseAccuracy, crossAccuracy),
            format("lr %.2e", Double(learningRate)),
            samplesPerSecond.map { format("%.1f quadruplets/s", $0) } ?? "— quadruplets/s",
        ]
        if let wire {
            parts.append(format("exchange %.0f%%", 100 * exchangeShare))
            parts.append(format("wire %@/step (%.2fx < fp32)", ProgressMeter.bytes(wire.bytes), wire.reduction))
        }
        parts.append("ETA " + (remaining.map(ProgressMeter.duration) ?? "—"))
        return parts.joined(separator: "  ")
    }

    private func format(_ pattern: String, _ args: CVarArg...) -> String { String(format: pattern, arguments: args) }
}
