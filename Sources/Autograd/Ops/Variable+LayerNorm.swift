// Layer normalisation. Shapes (M = product of the leading dims of x, D features):
// x and out [..., D]; weight, bias [D]; saved mean and rstd [M].

extension Variable {
    /// Normalises over the last dimension, then scales by `weight` and shifts by `bias`, as
    /// `torch.nn.functional.layer_norm` (biased variance, eps inside the square root).
    public func layerNorm(weight: Variable, bias: Variable, eps: Float) -> Variable {
        precondition(!shape.isEmpty, "layerNorm: input must have at least one dimension")
        let d = shape.last!
        precondition(weight.shape == [d] && bias.shape == [d],
                     "layerNorm: weight \(weight.shape) and bias \(bias.shape) for \(d) features")
        let m = count / max(d, 1)
        let g = graph
        let out = g.allocate(shape)
        let mean = g.allocate([m]), rstd = g.allocate([m])
        LayerNormKernel.forward(y: out.data, mean: mean.data, rstd: rstd.data, x: data,
                                weight: weight.data, bias: bias.data,
                                rows: m, features: d, eps: eps, compute: g.compute)
        let x = self
        return g.record(out, inputs: [x, weight, bias]) { g, dy in
            let chunks = LayerNormKernel.backwardChunks(rows: m, threads: g.compute.threads)
            g.withScratch(chunks * 2 * d) { workspace in
                LayerNormKernel.backward(dx: g.gradient(for: x)?.data, dweight: g.gradient(for: weight)?.data,
                                         dbias: g.gradient(for: bias)?.data, dy: dy.data,
                                         x: x.data, mean: mean.data, rstd: rstd.data, weight: weight.data,
                                         rows: m, features: d, workspace: workspace, compute: g.compute)
            }
        }
    }
}
