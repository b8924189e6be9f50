import Foundation

/// How a parameter is filled when a model is built from scratch. The cases are PyTorch's
/// initialisers, named after them, so a spec line like "Kaiming normal (fan_out)" maps to one case.
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    /// U(-bound, bound).
    case uniform(bound: Float)
    /// N(0, std²) truncated to [-2, 2] (absolute bounds, as timm's `trunc_normal_` defaults).
    case truncatedNormal(std: Float)
    /// PyTorch's default for Linear/Conv weights: kaiming_uniform_(a=√5) = U(±√(1/fan_in)).
    case kaimingUniform(fanIn: Int)
    /// kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, 2/fan_out).
    case kaimingNormalFanOut(fanOut: Int)

    func fill(_ t: Tensor, rng: inout SeededRNG) {
        let p = t.data
        switch self {
        case .zeros: p.update(repeating: 0, count: t.count)
        case .ones: p.update(repeating: 1, count: t.count)
        case .constant(let v): p.update(repeating: v, count: t.count)
        case .uniform(let b):
            for i in 0..<t.count { p[i] = rng.uniform(-b, b) }
        case .truncatedNormal(let std):
            for i in 0..<t.count {
                var v: Float
                repeat { v = rng.nextNormal() * std } while v < -2 || v > 2
                p[i] = v
            }
        case .kaimingUniform(let fanIn):
            let b = Float(1 / Double(max(fanIn, 1)).squareRoot())
            for i in 0..<t.count { p[i] = rng.uniform(-b, b) }
        case .kaimingNormalFanOut(let fanOut):
            let std = Float((2 / Double(max(fanOut, 1))).squareRoot())
            for i in 0..<t.count { p[i] = rng.nextNormal() * std }
        }
    }
}
