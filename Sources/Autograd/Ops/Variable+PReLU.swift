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
        // In bfloat16 mode x is kept rounded: its sign, all dx reads, survives rounding (but for
        // float32 subnormals below 2⁻¹³³, which round to zero), and the slope gradients' sums of
        // dy·x change by at most 2⁻⁸ relative per term, within what the products around them lose.
        let compact = g.savesBFloat16 ? BFloat16Tensor(rounding: value, pool: g.pool, compute: g.compute) : nil
        let saved: Tensor? = compact == nil ? value : nil
        let input = handle
        return g.record(out, inputs: [self, slopes]) { g, dy in
            if let compact {
                compact.withWidened(g) { x in
                    preluBackward(g, input, slopes, x: x, dy: dy, N: N, C: C, S: S)
                }
            } else if let saved {
                withExtendedLifetime(saved) { preluBackward(g, input, slopes, x: saved.data, dy: dy, N: N, C: C, S: S) }
            }
        }
    }
}

/// PReLU's backward from x and dy [N, C, S] into the gradients of x and the slopes.
private func preluBackward(_ g: Graph, _ input: NodeHandle, _ slopes: Variable, x: UnsafePointer<Float>, dy: Tensor,
                           N: Int, C: Int, S: Int) {
    let shared = slopes.count == 1, a = slopes.data
    let destination = g.gradientDestination(for: input), da = g.gradient(for: slopes)
    let dx = destination?.tensor.data, overwrite = destination?.overwrite ?? false
    let gy = dy.data
    // Per-channel slope gradients first (one writer each), then added to the slopes.
    g.withScratch(C) { s in
        g.compute.parallelFor(C, grain: max(1, 16_384 / max(1, N * S))) { channels in
            for c in channels {
                let slope = a[shared ? 0 : c]
                var sum: Float = 0
                for n in 0..<N {
                    let q = (n * C + c) * S
                    sum += preluBackward(x: x + q, dy: gy + q, dx: dx.map { $0 + q }, overwrite: overwrite, count: S,
                                         slope: slope)
                }
                s[c] = sum
            }
        }
        guard let da else { return }
        for c in 0..<C { da.data[shared ? 0 : c] += s[c] }
    }
}

/// One plane of PReLU's backward: dx += dy where x > 0, slope·dy elsewhere; returns the slope's
/// gradient Σ dy·x over x ≤ 0. In SIMD lanes (see `PlaneReductions` for why).
private func preluBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                           overwrite: Bool, count: Int, slope: Float) -> Float {
    typealias Lanes = PlaneReductions.Lanes
    var acc = Lanes(), i = 0
    let zero = Lanes(), a = Lanes(repeating: slope)
    while i + Lanes.scalarCount <= count {
        let xv = PlaneReductions.load(x, i), gv = PlaneReductions.load(dy, i)
        let negative = xv .<= zero
        acc += (gv * xv).replacing(with: 0, where: .!negative)
        if let dx {
            let d = gv.replacing(with: gv * a, where: negative)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: overwrite ? d : PlaneReductions.load(dx, i) + d, as: Lanes.self)
        }
        i += Lanes.scalarCount
    }
    var sum = acc.sum()
    while i < count {
        let d = x[i] > 0 ? dy[i] : slope * dy[i]
        if let dx { dx[i] = overwrite ? d : dx[i] + d }
        if !(x[i] > 0) { sum += dy[i] * x[i] }
        i += 1
    }
    return sum
}
