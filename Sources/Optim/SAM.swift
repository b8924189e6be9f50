import Foundation
import Autograd

/// Sharpness-Aware Minimisation (Foret et al., ICLR 2021) around any optimizer, as the QCS
/// release uses it (ρ = 0.05, one global gradient norm, not adaptive):
///   1. forward/backward at w → g
///   2. `perturb`: ŵ = w + ρ·g/(‖g‖₂ + 1e-12)   (w saved exactly)
///   3. forward/backward at ŵ → g'
///   4. `restore`: w back bit for bit; then the base optimizer steps with g'.
/// ‖g‖ is over all parameters: with sharded state, pass the global sum of squares
/// (one scalar allreduce) to `perturb`.
public final class SAM {
    public let rho: Float
    private let savedStorage: Storage
    var saved: UnsafeMutablePointer<Float> { savedStorage.pointer }
    let count: Int
    public private(set) var isPerturbed = false

    public init(count: Int, rho: Float = 0.05) {
        precondition(rho >= 0, "SAM rho must be non-negative")
        self.rho = rho
        self.count = count
        savedStorage = Storage(zeros: count)
    }

    /// Moves the parameters to the sharpness-probing point. Returns ‖g‖₂. With `only`, just
    /// those elements move (ZeRO-1: the rank's own, the only ones whose gradient is final; the
    /// caller gathers the rest); all are saved.
    @discardableResult
    public func perturb(_ slice: FlatSlice, globalSumOfSquares: Double? = nil, only: Range<Int>? = nil,
                        compute: ComputePool? = nil) -> Double {
        precondition(slice.count == count && !isPerturbed, "SAM.perturb on a mismatched or perturbed slice")
        let norm = (globalSumOfSquares ?? FlatNorm.sumOfSquares(slice.gradients, count: count, compute: compute)).squareRoot()
        let scale = Float(Double(rho) / (norm + 1e-12))
        FlatPass.copy(slice.values, to: saved, count: count, compute: compute)
        let moved = only ?? 0..<count, w = slice.values + moved.lowerBound, g = slice.gradients + moved.lowerBound
        FlatPass.run(moved.count, compute: compute) { r in for i in r { w[i] += scale * g[i] } }
        isPerturbed = true
        return norm
    }

    /// Puts back the parameters saved by `perturb`.
    public func restore(_ slice: FlatSlice, compute: ComputePool? = nil) {
        precondition(isPerturbed, "SAM.restore without perturb")
        FlatPass.copy(saved, to: slice.values, count: count, compute: compute)
        isPerturbed = false
    }
}
