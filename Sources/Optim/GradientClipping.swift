/// Clipping by global norm (torch.nn.utils.clip_grad_norm_): if ‖g‖ > maxNorm, g ← g·maxNorm/(‖g‖ + 1e-6).
public enum GradientClipping {
    /// Returns the norm before clipping. Pass `globalSumOfSquares` when the slice is a shard.
    @discardableResult
    public static func clip(_ slice: FlatSlice, maxNorm: Float, globalSumOfSquares: Double? = nil) -> Double {
        let norm = (globalSumOfSquares ?? FlatNorm.sumOfSquares(slice.gradients, count: slice.count)).squareRoot()
        if norm > Double(maxNorm) {
            let scale = Float(Double(maxNorm) / (norm + 1e-6))
            for i in 0..<slice.count { slice.gradients[i] *= scale }
        }
        return norm
    }

    /// Scales every gradient (gradient accumulation averages k micro-batches with 1/k).
    public static func scale(_ slice: FlatSlice, by factor: Float) {
        for i in 0..<slice.count { slice.gradients[i] *= factor }
    }
}
