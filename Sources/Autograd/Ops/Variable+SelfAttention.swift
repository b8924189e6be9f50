// Multi-head self-attention core. Shapes (B images, T tokens, H heads, D = H·E features):
// qkv [B, T, 3D] in timm's [B, T, 3, H, E] order; out [B, T, D]; saved probabilities [B, H, T, T].

extension Variable {
    /// softmax(q·kᵀ/√E)·v for every image and head, heads concatenated: timm's `Attention`
    /// between its `qkv` and `proj` layers (no attention dropout).
    public func selfAttention(heads: Int) -> Variable {
        precondition(shape.count == 3 && shape[2] % 3 == 0,
                     "selfAttention: qkv must be [B, T, 3·D], got \(shape)")
        let d = shape[2] / 3
        precondition(heads > 0 && d % heads == 0, "selfAttention: \(heads) heads do not divide width \(d)")
        let sizes = AttentionKernel.Sizes(batch: shape[0], tokens: shape[1], heads: heads, headWidth: d / heads)
        let g = graph
        let out = g.allocate([sizes.batch, sizes.tokens, d])
        let probs = g.allocate([sizes.batch, heads, sizes.tokens, sizes.tokens])
        AttentionKernel.forward(out: out.data, probs: probs.data, qkv: data, sizes: sizes,
                                precision: g.matrixPrecision, compute: g.compute)
        let qkv = self
        return g.record(out, inputs: [qkv]) { g, dy in
            guard let dqkv = g.gradient(for: qkv) else { return }
            let workers = AttentionKernel.workers(sizes, threads: g.compute.threads)
            g.withScratch(workers * sizes.tokens * sizes.tokens) { workspace in
                AttentionKernel.backward(dqkv: dqkv.data, dout: dy.data, probs: probs.data, qkv: qkv.data,
                                         sizes: sizes, workspace: workspace, precision: g.matrixPrecision,
                                         compute: g.compute)
            }
        }
    }
}
