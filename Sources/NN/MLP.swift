import Autograd

/// The transformer feed-forward block, timm's `Mlp`: fc1 → GELU (erf) → dropout → fc2 → dropout.
/// Declares `<name>.fc1.*` [hidden, features] and `<name>.fc2.*` [features, hidden].
public struct MLP {
    public let fc1: Linear
    public let fc2: Linear
    public let dropout: Dropout

    /// `weightInit` and `biasInit` apply to both layers; nil keeps PyTorch's defaults.
    public init(name: String, features: Int, hidden: Int, dropout: Float, layout: inout ParameterLayout,
                weightInit: Initializer? = nil, biasInit: Initializer? = nil) {
        fc1 = Linear(name: "\(name).fc1", inFeatures: features, outFeatures: hidden, layout: &layout,
                     weightInit: weightInit, biasInit: biasInit)
        fc2 = Linear(name: "\(name).fc2", inFeatures: hidden, outFeatures: features, layout: &layout,
                     weightInit: weightInit, biasInit: biasInit)
        self.dropout = Dropout(p: dropout)
    }

    /// x [..., D] → [..., D]. Both dropouts draw from `rng`, first after fc1, then after fc2.
    /// fc1 and GELU run as one op (`Linear.applyingGELU`): the same values, fewer passes over memory.
    public func callAsFunction(_ x: Variable, masks: inout DropoutStream) -> Variable {
        let h = dropout(fc1.applyingGELU(x), masks: &masks)
        return dropout(fc2(h), masks: &masks)
    }
}
