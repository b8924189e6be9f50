// Shape ops: reshape (a view), permute/transpose, concat, split, slice.

extension Variable {
    /// The same elements in a new shape (no copy; one dimension may be -1).
    public func reshaped(_ newShape: [Int]) -> Variable {
        var resolved = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            resolved[unknown] = known == 0 ? 0 : count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let input = handle  // the gradient only: the data may go
        return graph.record(value.reshaped(resolved), inputs: [self]) { g, dy in
            g.accumulateGradient(dy, into: input, sharing: true)
        }
    }

    /// Reorders dimensions: out.shape[i] = shape[order[i]].
    public func permuted(_ order: [Int]) -> Variable {
        precondition(order.sorted() == Array(0..<shape.count), "permutation \(order) of rank \(shape.count)")
        let outShape = order.map { shape[$0] }
        let g = graph
        let out = g.allocate(outShape)
        let plan = PermutePlan(shape: shape, order: order)
        plan.run(from: data, to: out.data, accumulate: false, compute: g.compute)
        let input = handle  // the gradient only: the data may go
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            plan.inverse.run(from: dy.data, to: dx.data, accumulate: true, compute: g.compute)
        }
    }

    /// Swaps two dimensions.
    public func transposed(_ a: Int, _ b: Int) -> Variable {
        var order = Array(0..<shape.count)
        order.swapAt(Shape.axis(a, rank: shape.count), Shape.axis(b, rank: shape.count))
        return permuted(order)
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let ax = Shape.axis(axis, rank: shape.count)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax], "slice \(range) of dim \(shape[ax])")
        let (outer, size, inner) = Shape.around(shape, axis: ax)
        var outShape = shape
        outShape[ax] = range.count
        let g = graph
        let out = g.allocate(outShape)
        let block = range.count * inner
        let x = data, y = out.data
        g.compute.parallelFor(outer, grain: 1) { r in
            for o in r { (y + o * block).update(from: x + (o * size + range.lowerBound) * inner, count: block) }
        }
        let input = handle  // the gradient only: the data may go
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            let gx = dx.data, gy = dy.data
            g.compute.parallelFor(outer, grain: 1) { r in
                for o in r {
                    let src = gy + o * block, dst = gx + (o * size + range.lowerBound) * inner
                    for i in 0..<block { dst[i] += src[i] }
                }
            }
        }
    }

    /// Pieces of the given sizes along `axis` (sizes must add up to the dimension).
    public func split(axis: Int, sizes: [Int]) -> [Variable] {
        let ax = Shape.axis(axis, rank: shape.count)
        precondition(sizes.reduce(0, +) == shape[ax], "split sizes \(sizes) do not add up to \(shape[ax])")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: ax, start..<(start + size))
        }
    }

    /// Joins variables along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Variable], axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concat of nothing")
        let first = parts[0]
        let ax = Shape.axis(axis, rank: first.shape.count)
        for p in parts {
            var a = p.shape, b = first.shape
            a[ax] = 0; b[ax] = 0
            precondition(a == b, "concat along \(ax): \(p.shape) does not match \(first.shape)")
        }
        var outShape = first.shape
        outShape[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        let (outer, total, inner) = Shape.around(outShape, axis: ax)
        let g = first.graph
        let out = g.allocate(outShape)
        var starts: [Int] = []
        var start = 0
        for p in parts { starts.append(start); start += p.shape[ax] }
        let y = out.data
        for (p, s) in zip(parts, starts) {
            let block = p.shape[ax] * inner, x = p.data
            g.compute.parallelFor(outer, grain: 1) { r in
                for o in r { (y + (o * total + s) * inner).update(from: x + o * block, count: block) }
            }
        }
        let pieces = parts.map { ($0.handle, $0.shape[ax]) }  // not the parts' data: it may go
        return g.record(out, inputs: parts) { g, dy in
            for ((p, size), s) in zip(pieces, starts) {
                guard let dx = g.gradient(for: p) else { continue }
                let block = size * inner, gx = dx.data, gy = dy.data
                g.compute.parallelFor(outer, grain: 1) { r in
                    for o in r {
                        let src = gy + (o * total + s) * inner, dst = gx + o * block
                        for i in 0..<block { dst[i] += src[i] }
                    }
                }
            }
        }
    }
}

/// A precomputed permutation of a row-major array: for each output position, where it reads.
struct PermutePlan {
    let shape: [Int]
    let order: [Int]

    var inverse: PermutePlan {
        var inv = [Int](repeating: 0, count: order.count)
        for (i, o) in order.enumerated() { inv[o] = i }
        return PermutePlan(shape: order.map { shape[$0] }, order: inv)
    }

    /// out[permuted index] (=|+=) in[index]. Parallel over the outermost output dimension.
    func run(from x: UnsafeMutablePointer<Float>, to y: UnsafeMutablePointer<Float>, accumulate: Bool,
             compute: ComputePool) {
        let outShape = order.map { shape[$0] }
        let inStrides = Shape.strides(shape)
        let readStrides = order.map { inStrides[$0] }   // input stride of each output dim
        let rank = outShape.count
        let total = outShape.reduce(1, *)
        guard total > 0 else { return }
        if rank == 0 { if accumulate { y[0] += x[0] } else { y[0] = x[0] }; return }
        let last = rank - 1
        let lastSize = outShape[last], lastStride = readStrides[last]
        let rows = total / lastSize
        compute.parallelFor(rows, grain: 64) { r in
            var index = [Int](repeating: 0, count: rank)
            // Coordinates of the first row of this chunk.
            var rest = r.lowerBound
            for d in stride(from: last - 1, through: 0, by: -1) {
                index[d] = rest % outShape[d]
                rest /= outShape[d]
            }
            for row in r {
                var base = 0
                for d in 0..<last { base += index[d] * readStrides[d] }
                let dst = y + row * lastSize
                if accumulate {
                    for j in 0..<lastSize { dst[j] += x[base + j * lastStride] }
                } else {
                    for j in 0..<lastSize { dst[j] = x[base + j * lastStride] }
                }
                // Advance the row counter (odometer over dims 0..<last).
                var d = last - 1
                while d >= 0 {
                    index[d] += 1
                    if index[d] < outShape[d] { break }
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }
}
