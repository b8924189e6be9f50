import Autograd

/// Multi-head self-attention, timm's `Attention` without attention-probability dropout:
/// `<name>.qkv` Linear(D, 3D) → softmax(q·kᵀ/√E)·v per head → `<name>.proj` Linear(D, D) → dropout.
/// Shapes (B images, T tokens, H heads, D = H·E features): x and output [B, T, D].
public struct MultiHeadAttention {
    public let qkv: Linear
    public let proj: Linear
    public let heads: Int
    public let projectionDropout: Dropout

    /// `weightInit` and `biasInit` apply to both layers; nil keeps PyTorch's defaults.
    public init(name: String, features: Int, heads: Int, projectionDropout: Float = 0,
                layout: inout ParameterLayout, weightInit: Initializer? = nil, biasInit: Initializer? = nil) {
        precondition(heads > 0 && features % heads == 0,
                     "MultiHeadAttention \(name): \(heads) heads do not divide \(features) features")
        qkv = Linear(name: "\(name).qkv", inFeatures: features, outFeatures: 3 * features, layout: &layout,
                     weightInit: weightInit, biasInit: biasInit)
        proj = Linear(name: "\(name).proj", inFeatures: features, outFeatures: features, layout: &layout,
                      weightInit: weightInit, biasInit: biasInit)
        self.heads = heads
        self.projectionDropout = Dropout(p: projectionDropout)
    }

    /// x [B, T, D] → [B, T, D].
    public func callAsFunction(_ x: Variable, masks: inout DropoutStream) -> Variable {
        projectionDropout(proj(qkv(x).selfAttention(heads: heads)), masks: &masks)
    }
}
