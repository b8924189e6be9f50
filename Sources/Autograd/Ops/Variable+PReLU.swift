// Parametric ReLU with one learned slope per channel. Shapes: x, y [N, C, …] (rank ≥ 2, channels
// on axis 1, S = product of the trailing sizes); slopes [C], or [1] shared by every channel.

extension Variable {
    /// y = x where x > 0, slope_c·x elsewhere (PyTorch's PReLU; at x = 0 the slope side).
    public func prelu(slopes: Variable) -> Variable {
        let g = graph
        precondition(shape.count >= 2, "prelu input must have a channel axis 1, got \(shape)")
        let (N, C, S) = Shape.around(shape, axis: 1)
        precondition(slopes.shape == [C] || slopes.shape == [1], "prelu slopes \(slopes.shape) for \(C) channels")
        let shared = slopes.count == 1
        let out = g.allocate(shape)
        let x = data, y = out.data, a = slopes.data
        g.compute.parallelFor(N * C, grain: max(1, 16_384 / max(1, S))) { planes in
            for q in planes {
                let slope = a[shared ? 0 : q % C]
                let xs = x + q * S, ys = y + q * S
                for i in 0..<S { ys[i] = xs[i] > 0 ? xs[i] : slope * xs[i] }
            }
        }
        return g.record(out, inputs: [self, slopes]) { g, dy in
            let dx = g.gradient(for: self)?.data, da = g.gradient(for: slopes)
            let gy = dy.data
            // Per-channel slope gradients first (one writer each), then added to the slopes.
            let sums = g.allocate([C])
            let s = sums.data
            g.compute.parallelFor(C, grain: max(1, 16_384 / max(1, N * S))) { channels in
                for c in channels {
                    let slope = a[shared ? 0 : c]
                    var sum: Float = 0
                    for n in 0..<N {
                        let xs = x + (n * C + c) * S, gs = gy + (n * C + c) * S
                        if let dx {
                            let dxs = dx + (n * C + c) * S
                            for i in 0..<S { dxs[i] += xs[i] > 0 ? gs[i] : slope * gs[i] }
                        }
                        for i in 0..<S where xs[i] <= 0 { sum += gs[i] * xs[i] }
                    }
                    s[c] = sum
                }
            }
            guard let da else { return }
            for c in 0..<C { da.data[shared ? 0 : c] += s[c] }
            withExtendedLifetime(sums) {}
        }
    }
}
