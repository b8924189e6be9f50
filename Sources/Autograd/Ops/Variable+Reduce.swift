// Reductions. sum/mean over chosen axes (kept as size 1 with keepDims), or over everything
// (shape []); minimum/maximum over the whole tensor with the gradient shared evenly among ties
// (PyTorch's rule for full reductions).

extension Variable {
    /// Σ over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        reduceSum(axes: axes, keepDims: keepDims, scale: 1)
    }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let axes = (axes ?? Array(0..<shape.count)).map { Shape.axis($0, rank: shape.count) }
        let n = axes.reduce(1) { $0 * shape[$1] }
        return reduceSum(axes: axes, keepDims: keepDims, scale: n == 0 ? 0 : 1 / Float(n))
    }

    private func reduceSum(axes: [Int]?, keepDims: Bool, scale: Float) -> Variable {
        let axes = Set((axes ?? Array(0..<shape.count)).map { Shape.axis($0, rank: shape.count) })
        let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let outShape = keepDims ? kept : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let g = graph
        let out = g.zeros(outShape)
        // Each input element i adds into out[map(i)]: `BroadcastMap` from the kept shape gives it.
        let map = BroadcastMap(operand: kept, output: shape)
        let x = data, y = out.data
        if out.count == 1 {
            var acc: Double = 0
            for i in 0..<count { acc += Double(x[i]) }
            y[0] = Float(acc) * scale
        } else {
            for i in 0..<count { y[map(i)] += x[i] }
            if scale != 1 { for i in 0..<out.count { y[i] *= scale } }
        }
        let input = handle  // the gradient only: the data may go
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            let gx = dx.data, gy = dy.data
            g.compute.parallelFor(dx.count) { r in for i in r { gx[i] += gy[map(i)] * scale } }
        }
    }

    /// The largest element (shape []).
    public func maximum() -> Variable { extremum(largest: true) }

    /// The smallest element (shape []).
    public func minimum() -> Variable { extremum(largest: false) }

    /// The largest element of the whole batch: over every replica of the batch when the graph
    /// has a `BatchReduction` in training (exact mode), else `maximum()`. Ties share the gradient
    /// evenly over all replicas, as one process holding the whole batch would share it.
    public func batchMaximum() -> Variable { batchExtremum(largest: true) }

    /// The smallest element of the whole batch (see `batchMaximum`).
    public func batchMinimum() -> Variable { batchExtremum(largest: false) }

    private func batchExtremum(largest: Bool) -> Variable {
        let g = graph
        guard g.isTraining, let reduction = g.batchReduction else { return extremum(largest: largest) }
        let x = data, n = count
        var best: Float = largest ? -.infinity : .infinity
        if reduction.contributes {
            for i in 0..<n where largest ? x[i] > best : x[i] < best { best = x[i] }
        }
        var global = [best]
        global.withUnsafeMutableBufferPointer { largest ? reduction.maximum($0) : reduction.minimum($0) }
        // No replica holds a sample (all stand-ins): a finite value keeps NaN out of the pass.
        let value = global[0].isFinite ? global[0] : 0
        let out = g.allocate([])
        out.data[0] = value
        let input = self
        return g.record(out, inputs: [self], op: "batchExtremum") { g, dy in
            // Σ of the upstream gradient and the ties, over every replica: one share per tie.
            var ties = 0
            if reduction.contributes { for i in 0..<n where x[i] == value { ties += 1 } }
            var totals = [reduction.contributes ? Double(dy.data[0]) : 0, Double(ties)]
            reduction.sum(&totals)
            guard let dx = g.gradient(for: input), ties > 0, totals[1] > 0 else { return }
            let share = Float(totals[0] / totals[1])
            for i in 0..<n where x[i] == value { dx.data[i] += share }
        }
    }

    private func extremum(largest: Bool) -> Variable {
        precondition(count > 0, "min/max of an empty tensor")
        let x = data, n = count
        var best = x[0]
        for i in 1..<n where largest ? x[i] > best : x[i] < best { best = x[i] }
        let g = graph
        let out = g.allocate([])
        out.data[0] = best
        let input = self
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            var ties = 0
            for i in 0..<n where x[i] == best { ties += 1 }
            let share = dy.data[0] / Float(ties)
            for i in 0..<n where x[i] == best { dx.data[i] += share }
        }
    }
}
