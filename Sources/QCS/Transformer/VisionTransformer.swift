import Autograd
import NN

/// VIT_base and VIT_cross: a learned cls token prepended to the tokens, a learned position
/// embedding added (then position dropout), `depth` pre-norm blocks, a final LayerNorm; the cls
/// vector goes through the SE gate and the head (`head.linear`) to give logits, and the
/// normalised patch tokens are the second output.
public struct VisionTransformer {
    public let clsToken: Parameter
    public let positionEmbedding: Parameter
    let positionDropout: Float
    let blocks: [TransformerBlock]
    let norm: LayerNorm
    let gate: SqueezeExcitationGate
    let head: Linear

    public init(name: String, config: QCSConfig, depth: Int, posDropout: Float, mlpDropout: Float,
                projectionDropout: Float, layout: inout ParameterLayout) {
        let d = config.embedDim
        clsToken = layout.parameter("\(name).cls_token", [1, 1, d], .truncatedNormal(std: 0.02))
        positionEmbedding = layout.parameter("\(name).pos_embed", [1, config.tokens + 1, d], .truncatedNormal(std: 0.02))
        gate = SqueezeExcitationGate(name: "\(name).se_block", features: d, layout: &layout)
        head = Linear(name: "\(name).head.linear", inFeatures: d, outFeatures: config.numClasses, layout: &layout,
                      weightInit: Linear.vitWeightInit, biasInit: Linear.vitBiasInit)
        blocks = (0..<depth).map { i in
            TransformerBlock(name: "\(name).blocks.\(i)", features: d, heads: config.heads, mlpRatio: config.mlpRatio,
                             eps: config.vitLayerNormEps, mlpDropout: mlpDropout, projectionDropout: projectionDropout,
                             layout: &layout)
        }
        norm = LayerNorm(name: "\(name).norm", features: d, eps: config.vitLayerNormEps, layout: &layout)
        positionDropout = posDropout
    }

    /// tokens [B, T, D] → (logits [B, classes], normalised patch tokens [B, T, D]).
    public func callAsFunction(_ tokens: Variable, masks: inout DropoutStream) -> (logits: Variable, tokens: Variable) {
        let g = tokens.graph
        let b = tokens.shape[0], t = tokens.shape[1], d = tokens.shape[2]
        let cls = g.param(clsToken)
        var x = Variable.concat(Array(repeating: cls, count: b), axis: 0)
        x = Variable.concat([x, tokens], axis: 1) + g.param(positionEmbedding)
        x = x.dropout(p: positionDropout, masks: &masks)
        for block in blocks { x = block(x, masks: &masks) }
        x = norm(x)
        let c = x.slice(axis: 1, 0..<1).reshaped([b, d])
        let logits = head(gate(c))
        return (logits, x.slice(axis: 1, 1..<(t + 1)))
    }
}
