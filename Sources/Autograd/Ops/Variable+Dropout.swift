// Inverted dropout. Shapes: x, out and the saved mask all have the same shape (n elements).

extension Variable {
    /// In training, zeroes each element with probability `p` and scales the survivors by
    /// 1/(1−p), as `torch.nn.functional.dropout`; otherwise (or with p = 0) returns `self`
    /// unchanged and records nothing.
    ///
    /// The mask is drawn from `rng` serially in row-major order, so a given seed gives the same
    /// mask whatever the thread count. Each 64-bit draw serves two elements (bits 63…40, then
    /// bits 39…16, each a 24-bit uniform u; the element is kept when u < 1−p): the generator's
    /// serial dependency chain is the cost of this loop, and halving it halves the time.
    /// The mask holds the factor (0 or 1/(1−p)) each element was multiplied by, which backward reuses.
    public func dropout(p: Float, rng: inout SeededRNG) -> Variable {
        precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
        let g = graph
        guard g.isTraining, p > 0 else { return self }
        let n = count
        let keep = 1 - p, scale = 1 / (1 - p)
        let mask = g.allocate(shape), out = g.allocate(shape)
        Self.fillMask(mask.data, count: n, keep: keep, scale: scale, rng: &rng)
        return applyMask(mask, out: out)
    }

    /// The same dropout with masks keyed per sample (`DropoutStream`): row i of the batch (the
    /// first axis) draws from its own generator, so its mask does not depend on which other
    /// samples share the batch. Rows are independent, so they are drawn in parallel.
    public func dropout(p: Float, masks stream: inout DropoutStream) -> Variable {
        precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
        let g = graph
        guard g.isTraining, p > 0 else { return self }
        let rows = shape.first ?? 1
        precondition(stream.positions.count == rows, "dropout: \(stream.positions.count) plan positions for \(rows) rows")
        let perRow = count / Swift.max(rows, 1)
        let keep = 1 - p, scale = 1 / (1 - p)
        let mask = g.allocate(shape), out = g.allocate(shape)
        let m = mask.data
        let s = stream
        g.compute.parallelFor(rows, grain: 1) { r in
            for row in r {
                var rng = s.generator(row: row)
                Self.fillMask(m + row * perRow, count: perRow, keep: keep, scale: scale, rng: &rng)
            }
        }
        stream.advance()
        return applyMask(mask, out: out)
    }

    /// Mask factors (0 or `scale`) for `n` elements, drawn serially: two per 64-bit draw.
    private static func fillMask(_ m: UnsafeMutablePointer<Float>, count n: Int, keep: Float, scale: Float,
                                 rng: inout SeededRNG) {
        // u = k/2²⁴ < keep exactly when the integer k < ⌈keep·2²⁴⌉.
        let threshold = UInt64((Double(keep) * 16_777_216).rounded(.up))
        var i = 0
        while i + 1 < n {
            let r = rng.next()
            m[i] = r >> 40 < threshold ? scale : 0
            m[i + 1] = (r >> 16) & 0xFF_FFFF < threshold ? scale : 0
            i += 2
        }
        if i < n { m[i] = rng.next() >> 40 < threshold ? scale : 0 }
    }

    /// out = self ⊙ mask, recorded with its backward.
    private func applyMask(_ mask: Tensor, out: Tensor) -> Variable {
        let g = graph
        let n = count
        let m = mask.data, x = data, y = out.data
        g.compute.parallelFor(n) { r in for i in r { y[i] = x[i] * m[i] } }
        let input = handle  // the mask is all backward reads
        return g.record(out, inputs: [self], op: "dropout") { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            // Read the mask through the tensor so the closure keeps its storage alive.
            let gx = dx.data, gy = dy.data, m = mask.data
            g.compute.parallelFor(n) { r in for i in r { gx[i] += gy[i] * m[i] } }
        }
    }
}
