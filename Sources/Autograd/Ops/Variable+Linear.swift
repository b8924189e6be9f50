// The fully connected layer. Shapes (M = product of the leading dims of x, I in, O out):
// x [..., I], weight [O, I] (PyTorch's layout), bias [O], out [..., O].

extension Variable {
    /// out = x·weightᵀ + bias over the last dimension, as `torch.nn.functional.linear`.
    /// All leading dimensions are flattened into the rows of one sgemm.
    public func linear(weight: Variable, bias: Variable?) -> Variable {
        precondition(!shape.isEmpty, "linear: input must have at least one dimension, got \(shape)")
        precondition(weight.shape.count == 2, "linear: weight must be [out, in], got \(weight.shape)")
        let (o, i) = (weight.shape[0], weight.shape[1])
        precondition(shape.last! == i, "linear: input \(shape) does not end in the weight's in-features \(i)")
        if let bias { precondition(bias.shape == [o], "linear: bias \(bias.shape) for \(o) out-features") }
        let m = count / max(i, 1)
        let g = graph
        let out = g.allocate(Array(shape.dropLast()) + [o])
        LinearKernel.forward(y: out.data, x: data, w: weight.data, b: bias?.data,
                             rows: m, inFeatures: i, outFeatures: o, precision: g.matrixPrecision, compute: g.compute)
        // Backward reads x for dw only, through a bfloat16 GEMM in bfloat16 mode.
        let compact = g.savesBFloat16 && g.requiresGrad(weight)
            ? BFloat16Tensor(rounding: value, pool: g.pool, compute: g.compute) : nil
        let saved: Tensor? = compact == nil ? value : nil
        let input = handle
        return g.record(out, inputs: [self, weight] + (bias.map { [$0] } ?? [])) { g, dy in
            func run(_ x: UnsafePointer<Float>) {
                let dx = g.gradientDestination(for: input)
                LinearKernel.backward(dx: dx?.tensor.data, overwriteDx: dx?.overwrite ?? false, dw: g.gradient(for: weight)?.data,
                                      db: bias.flatMap { g.gradient(for: $0)?.data }, dy: dy.data,
                                      x: x, w: weight.data,
                                      rows: m, inFeatures: i, outFeatures: o, precision: g.matrixPrecision,
                                      compute: g.compute)
            }
            if let compact {
                compact.withWidened(g) { run($0) }
            } else if let saved {
                withExtendedLifetime(saved) { run(saved.data) }
            }
        }
    }
}
