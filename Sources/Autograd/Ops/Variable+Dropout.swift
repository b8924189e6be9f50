// Inverted dropout. Shapes: x, out and the saved mask all have the same shape (n elements).

extension Variable {
    /// In training, zeroes each element with probability `p` and scales the survivors by
    /// 1/(1−p), as `torch.nn.functional.dropout`; otherwise (or with p = 0) returns `self`
    /// unchanged and records nothing.
    ///
    /// The mask is drawn from `rng` serially, one uniform per element in row-major order, so a
    /// given seed gives the same mask whatever the thread count. The mask holds the factor
    /// (0 or 1/(1−p)) each element was multiplied by, which backward reuses.
    public func dropout(p: Float, rng: inout SeededRNG) -> Variable {
        precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
        let g = graph
        guard g.isTraining, p > 0 else { return self }
        let n = count
        let keep = 1 - p, scale = 1 / (1 - p)
        let mask = g.allocate(shape), out = g.allocate(shape)
        let m = mask.data, x = data, y = out.data
        for i in 0..<n { m[i] = rng.nextUniform() < keep ? scale : 0 }
        g.compute.parallelFor(n) { r in for i in r { y[i] = x[i] * m[i] } }
        let input = self
        return g.record(out, inputs: [input]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            // Read the mask through the tensor so the closure keeps its storage alive.
            let gx = dx.data, gy = dy.data, m = mask.data
            g.compute.parallelFor(n) { r in for i in r { gx[i] += gy[i] * m[i] } }
        }
    }
}
