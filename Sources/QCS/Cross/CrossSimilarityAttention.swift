import Autograd
import NN

/// Cross Similarity Attention over one token group of the four branches (anchor, positive,
/// negative, negative2), as docs/MODEL.md, CSA states it:
///   1. X_b = LN₁(G_b);  [QK_b | V_b] = proj(X_b)   (one projection serves as query and key)
///   2. D21 = dist(QK₂, QK₁), D43 = dist(QK₄, QK₃), D31 = dist(QK₃, QK₁), D42 = dist(QK₄, QK₂)
///      (rows: partner tokens, columns: target tokens)
///   3. similarity S = max(D) − D, difference D' = D − min(D), min/max over the whole batch tensor
///   4. per target: s = Σ_rows rownorm(S), d = Σ_rows rownorm(D'), m = softmax(s + k·d), k = 1 + tanh θ
///      with (S, D') = anchor (S21, D'31), positive (S21ᵀ, D'42), negative (S43, D'31ᵀ),
///      negative2 (S43ᵀ, D'42ᵀ)
///   5. Y_b = X_b + m_b ⊙ V_b;  Z_b = LN₂(Y_b);  O_b = Z_b + MLP(Z_b)
/// No √d scale, one head, no output projection.
public struct CrossSimilarityAttention {
    public let theta: Parameter
    let norm1: LayerNorm
    let proj: Linear
    let norm2: LayerNorm
    let mlp: MLP
    let features: Int

    public init(name: String, config: QCSConfig, layout: inout ParameterLayout) {
        let d = config.embedDim
        features = d
        theta = layout.parameter("\(name).theta", [], .zeros)
        norm1 = LayerNorm(name: "\(name).norm1", features: d, eps: config.csaLayerNormEps, layout: &layout)
        norm2 = LayerNorm(name: "\(name).norm2", features: d, eps: config.csaLayerNormEps, layout: &layout)
        proj = Linear(name: "\(name).proj", inFeatures: d, outFeatures: 2 * d, layout: &layout)
        mlp = MLP(name: "\(name).mlp", features: d, hidden: config.mlpRatio * d, dropout: 0, layout: &layout)
    }

    /// groups: the four branches' group tokens, each [B, n, D] →
    /// (O_b [B, n, D] for each branch, the attention weights m_b [B, n] for each branch).
    public func callAsFunction(_ groups: [Variable], masks: inout DropoutStream) -> (outputs: [Variable], weights: [Variable]) {
        precondition(groups.count == 4, "CSA takes the four branches, got \(groups.count)")
        let g = groups[0].graph
        let x = groups.map { norm1($0) }
        let qkv = x.map { proj($0).split(axis: 2, sizes: [features, features]) }
        let qk = qkv.map { $0[0] }, v = qkv.map { $0[1] }

        // Batch-wide: over every replica's slice too in exact mode.
        func similarity(_ d: Variable) -> Variable { d.batchMaximum() - d }
        func difference(_ d: Variable) -> Variable { d - d.batchMinimum() }
        let s21 = similarity(qk[1].pairwiseDistance(qk[0]))
        let s43 = similarity(qk[3].pairwiseDistance(qk[2]))
        let d31 = difference(qk[2].pairwiseDistance(qk[0]))
        let d42 = difference(qk[3].pairwiseDistance(qk[1]))
        func t(_ m: Variable) -> Variable { m.transposed(1, 2) }
        let pairs = [(s21, d31), (t(s21), d42), (s43, t(d31)), (t(s43), t(d42))]

        let k = g.param(theta).tanh() + 1
        var outputs: [Variable] = [], weights: [Variable] = []
        for (b, (sim, diff)) in pairs.enumerated() {
            // Rows are partner tokens: normalise each over the target tokens, then sum the rows.
            let s = sim.l2Normalized().sum(axes: [1])
            let d = diff.l2Normalized().sum(axes: [1])
            let m = (s + k * d).softmax(axis: -1)
            let n = m.shape[1]
            let y = x[b] + m.reshaped([m.shape[0], n, 1]) * v[b]
            let z = norm2(y)
            outputs.append(z + mlp(z, masks: &masks))
            weights.append(m)
        }
        return (outputs, weights)
    }
}
