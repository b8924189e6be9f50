import Foundation

// Pointwise activations. Shapes: x and y any shape, same count n.

extension Variable {
    /// y = max(x, 0).
    public func relu() -> Variable {
        pointwise(forward: { max($0, 0) }, derivative: { y in y > 0 ? 1 : 0 })
    }

    /// y = 1 / (1 + e^-x); dy/dx = y(1 - y).
    public func sigmoid() -> Variable {
        pointwise(forward: { 1 / (1 + exp(-$0)) }, derivative: { y in y * (1 - y) })
    }

    /// y = tanh x; dy/dx = 1 - y².
    public func tanh() -> Variable {
        pointwise(forward: { Foundation.tanh($0) }, derivative: { y in 1 - y * y })
    }

    /// The exact (erf) GELU: y = x·Φ(x); dy/dx = Φ(x) + x·φ(x). (`GELUKernel`: no libm calls.)
    public func gelu() -> Variable {
        let g = graph
        let out = g.allocate(shape)
        GELUKernel.forward(data, out.data, count: count, compute: g.compute)
        // In bfloat16 mode x is kept rounded, as the output of autocast's bfloat16 linear layer
        // that feeds GELU is: GELU′ is smooth (|GELU″| ≤ 0.8), so a 2⁻⁸ relative change of x
        // moves each dx by about as much as the GEMMs around it round away.
        let compact = g.savesBFloat16 ? BFloat16Tensor(rounding: value, pool: g.pool, compute: g.compute) : nil
        let saved: Tensor? = compact == nil ? value : nil
        let input = handle
        return g.record(out, inputs: [self]) { g, dy in
            guard let (dx, overwrite) = g.gradientDestination(for: input) else { return }
            if let compact {
                compact.withWidened(g) { x in
                    GELUKernel.backward(x, dy.data, dx.data, count: dx.count, overwrite: overwrite, compute: g.compute)
                }
            } else if let saved {
                withExtendedLifetime(saved) {
                    GELUKernel.backward(saved.data, dy.data, dx.data, count: dx.count, overwrite: overwrite, compute: g.compute)
                }
            }
        }
    }

    /// Applies `forward` elementwise; backward multiplies by `derivative(y)`, written in terms of
    /// the output so that backward keeps only the output alive, not the input.
    /// Both closures must be pure: they run on several threads.
    @inline(__always)
    func pointwise(forward: @escaping (Float) -> Float, derivative: @escaping (Float) -> Float) -> Variable {
        let g = graph
        let out = g.allocate(shape)
        let x = data, y = out.data
        g.compute.parallelFor(count) { r in for i in r { y[i] = forward(x[i]) } }
        let input = handle
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            let gx = dx.data, gy = dy.data, y = out.data  // through `out`: keeps the output alive
            g.compute.parallelFor(dx.count) { r in
                for i in r { gx[i] += gy[i] * derivative(y[i]) }
            }
        }
    }
}
