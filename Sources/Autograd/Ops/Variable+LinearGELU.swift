// The transformer MLP's first layer and its activation as one op. Shapes (M = product of the
// leading dims of x, I in, O out): x [..., I], weight [O, I], bias [O], out [..., O].

extension Variable {
    /// GELU(x·weightᵀ + bias): the same values as `linear(weight:bias:)` then `gelu()`, with the
    /// bias and the activation applied in one pass over the product's output, and in backward the
    /// activation's derivative and the bias's gradient taken in one pass before the two products.
    /// Saves what the two ops would (the input for the weight's gradient, the pre-activation;
    /// both rounded to bfloat16 in bfloat16 mode).
    public func linearGELU(weight: Variable, bias: Variable) -> Variable {
        precondition(!shape.isEmpty, "linearGELU: input must have at least one dimension, got \(shape)")
        precondition(weight.shape.count == 2, "linearGELU: weight must be [out, in], got \(weight.shape)")
        let (o, i) = (weight.shape[0], weight.shape[1])
        precondition(shape.last! == i, "linearGELU: input \(shape) does not end in the weight's in-features \(i)")
        precondition(bias.shape == [o], "linearGELU: bias \(bias.shape) for \(o) out-features")
        let m = count / max(i, 1)
        let g = graph
        let outShape = Array(shape.dropLast()) + [o]
        let h = g.allocate(outShape), out = g.allocate(outShape)
        LinearKernel.forward(y: h.data, x: data, w: weight.data, b: nil,
                             rows: m, inFeatures: i, outFeatures: o, precision: g.matrixPrecision, compute: g.compute)
        GELUKernel.forwardAddingBias(h.data, bias: bias.data, out.data, rows: m, columns: o, compute: g.compute)
        let compactX = g.savesBFloat16 && g.requiresGrad(weight)
            ? BFloat16Tensor(rounding: value, pool: g.pool, compute: g.compute) : nil
        let savedX: Tensor? = compactX == nil ? value : nil
        let compactH = g.savesBFloat16 ? BFloat16Tensor(rounding: h, pool: g.pool, compute: g.compute) : nil
        let savedH: Tensor? = compactH == nil ? h : nil
        let input = handle
        return g.record(out, inputs: [self, weight, bias]) { g, dy in
            g.withScratch(m * o) { dh in
                func activation(_ h: UnsafePointer<Float>) {
                    GELUKernel.backwardSummingBias(h, dy.data, dh, db: g.gradient(for: bias)?.data,
                                                   rows: m, columns: o, compute: g.compute)
                }
                if let compactH { compactH.withWidened(g) { activation($0) } } else if let savedH {
                    withExtendedLifetime(savedH) { activation(savedH.data) }
                }
                func products(_ x: UnsafePointer<Float>) {
                    let dx = g.gradientDestination(for: input)
                    LinearKernel.backward(dx: dx?.tensor.data, overwriteDx: dx?.overwrite ?? false,
                                          dw: g.gradient(for: weight)?.data, db: nil, dy: dh, x: x, w: weight.data,
                                          rows: m, inFeatures: i, outFeatures: o, precision: g.matrixPrecision,
                                          compute: g.compute)
                }
                if let compactX { compactX.withWidened(g) { products($0) } } else if let savedX {
                    withExtendedLifetime(savedX) { products(savedX.data) }
                }
            }
        }
    }
}
