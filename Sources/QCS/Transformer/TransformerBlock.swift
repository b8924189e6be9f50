import Autograd
import NN

/// A pre-norm transformer block:
///   x ← x + proj-dropout(MHSA(LN₁(x)));  x ← x + MLP(LN₂(x))   (LayerNorm eps from the config)
/// Names: `norm1`, `attn.qkv`, `attn.proj`, `norm2`, `mlp.fc1`, `mlp.fc2`.
public struct TransformerBlock {
    let norm1: LayerNorm
    let attention: MultiHeadAttention
    let norm2: LayerNorm
    let mlp: MLP

    public init(name: String, features: Int, heads: Int, mlpRatio: Int, eps: Float, mlpDropout: Float,
                projectionDropout: Float, layout: inout ParameterLayout) {
        norm1 = LayerNorm(name: "\(name).norm1", features: features, eps: eps, layout: &layout)
        attention = MultiHeadAttention(name: "\(name).attn", features: features, heads: heads,
                                       projectionDropout: projectionDropout, layout: &layout,
                                       weightInit: Linear.vitWeightInit, biasInit: Linear.vitBiasInit)
        norm2 = LayerNorm(name: "\(name).norm2", features: features, eps: eps, layout: &layout)
        mlp = MLP(name: "\(name).mlp", features: features, hidden: mlpRatio * features, dropout: mlpDropout,
                  layout: &layout, weightInit: Linear.vitWeightInit, biasInit: Linear.vitBiasInit)
    }

    /// x [B, T, D] → [B, T, D].
    public func callAsFunction(_ x: Variable, masks: inout DropoutStream) -> Variable {
        let h = x + attention(norm1(x), masks: &masks)
        return h + mlp(norm2(h), masks: &masks)
    }
}
