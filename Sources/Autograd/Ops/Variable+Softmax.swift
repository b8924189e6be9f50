import Foundation

// Softmax family along any axis. x, y: same shape; the axis splits it into (outer, L, inner).

extension Variable {
    /// y = exp(x - max) / Σ exp(x - max) along `axis`.
    public func softmax(axis: Int = -1) -> Variable { softmaxFamily(axis: axis, log: false) }

    /// y = x - max - log Σ exp(x - max) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Variable { softmaxFamily(axis: axis, log: true) }

    private func softmaxFamily(axis: Int, log: Bool) -> Variable {
        let ax = Shape.axis(axis, rank: shape.count)
        let (outer, length, inner) = Shape.around(shape, axis: ax)
        let g = graph
        let out = g.allocate(shape)
        let x = data, y = out.data
        // One "line" = the `length` elements at stride `inner` sharing (outer, inner) coordinates.
        g.compute.parallelFor(outer * inner, grain: 16) { r in
            for line in r {
                let base = (line / inner) * length * inner + line % inner
                var m = -Float.infinity
                for j in 0..<length { m = Swift.max(m, x[base + j * inner]) }
                var s: Float = 0
                for j in 0..<length {
                    let e = exp(x[base + j * inner] - m)
                    y[base + j * inner] = e
                    s += e
                }
                if log {
                    let logSum = m + Foundation.log(s)
                    for j in 0..<length { y[base + j * inner] = x[base + j * inner] - logSum }
                } else {
                    let inv = 1 / s
                    for j in 0..<length { y[base + j * inner] *= inv }
                }
            }
        }
        let input = handle  // backward reads the output only
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            let gx = dx.data, gy = dy.data, y = out.data  // through `out`: keeps the output alive
            g.compute.parallelFor(outer * inner, grain: 16) { r in
                for line in r {
                    let base = (line / inner) * length * inner + line % inner
                    if log {
                        // dx = dy - softmax · Σ dy
                        var s: Float = 0
                        for j in 0..<length { s += gy[base + j * inner] }
                        for j in 0..<length {
                            let k = base + j * inner
                            gx[k] += gy[k] - exp(y[k]) * s
                        }
                    } else {
                        // dx = y ⊙ (dy - Σ y·dy)
                        var s: Float = 0
                        for j in 0..<length { s += gy[base + j * inner] * y[base + j * inner] }
                        for j in 0..<length {
                            let k = base + j * inner
                            gx[k] += y[k] * (gy[k] - s)
                        }
                    }
                }
            }
        }
    }
}
