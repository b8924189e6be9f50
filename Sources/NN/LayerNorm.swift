import Autograd

/// Layer normalisation over the last dimension, `torch.nn.LayerNorm(features, eps)`.
/// Declares `<name>.weight` (ones) and `<name>.bias` (zeros), both [features].
public struct LayerNorm {
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Float

    public init(name: String, features: Int, eps: Float, layout: inout ParameterLayout) {
        precondition(features > 0, "LayerNorm \(name): features must be positive")
        weight = layout.parameter("\(name).weight", [features], .ones)
        bias = layout.parameter("\(name).bias", [features], .zeros)
        self.eps = eps
    }

    /// x [..., D] → [..., D].
    public func callAsFunction(_ x: Variable) -> Variable {
        let g = x.graph
        return x.layerNorm(weight: g.param(weight), bias: g.param(bias), eps: eps)
    }
}
