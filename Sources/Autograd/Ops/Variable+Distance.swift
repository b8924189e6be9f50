import Foundation

// Distances and normalisation between token sets.

extension Variable {
    /// Euclidean distance between every row of `self` and every row of `other`, per batch entry.
    /// a: [B, N, D], b: [B, M, D] → d: [B, N, M], d[i, j] = ‖a_i − b_j‖₂.
    /// Computed as √max(‖a‖² + ‖b‖² − 2a·b, 0) with one GEMM per batch entry; where a distance is 0
    /// its gradient is taken as 0 (the subgradient PyTorch's cdist uses), never NaN.
    public func pairwiseDistance(_ other: Variable) -> Variable {
        let a = self, b = other
        precondition(a.shape.count == 3 && b.shape.count == 3 && a.shape[0] == b.shape[0] && a.shape[2] == b.shape[2],
                     "pairwiseDistance expects [B, N, D] and [B, M, D], got \(a.shape) and \(b.shape)")
        let batch = a.shape[0], n = a.shape[1], m = b.shape[1], d = a.shape[2]
        let g = graph
        let out = g.allocate([batch, n, m])
        let pa = a.data, pb = b.data, po = out.data
        g.withScratch(batch * (n + m)) { norms in
            let na = norms, nb = norms + batch * n
            for (p, norms, rows) in [(pa, na, batch * n), (pb, nb, batch * m)] {
                g.compute.parallelFor(rows, grain: 64) { r in
                    for i in r {
                        var s: Float = 0
                        for k in 0..<d { s += p[i * d + k] * p[i * d + k] }
                        norms[i] = s
                    }
                }
            }
            for i in 0..<batch {
                sgemm(transposeB: true, m: n, n: m, k: d, alpha: -2, a: pa + i * n * d, b: pb + i * m * d,
                      c: po + i * n * m, compute: g.compute)
            }
            g.compute.parallelFor(batch * n, grain: 16) { r in
                for row in r {
                    let bi = row / n
                    for j in 0..<m {
                        let k = row * m + j
                        po[k] = Swift.max(po[k] + na[row] + nb[bi * m + j], 0).squareRoot()
                    }
                }
            }
        }
        return g.record(out, inputs: [a, b]) { g, dy in
            // With W = dY / D (0 where D = 0):
            // dA = diag(Σ_j W) A − W B,  dB = diag(Σ_i W) B − Wᵀ A.
            g.withScratch(batch * n * m) { pw in
            let gy = dy.data, po = out.data  // through `out`: keeps the distances alive
            g.compute.parallelFor(batch * n * m) { r in
                for k in r { pw[k] = po[k] > 0 ? gy[k] / po[k] : 0 }
            }
            if let da = g.gradient(for: a) {
                let gd = da.data
                for i in 0..<batch {
                    sgemm(m: n, n: d, k: m, alpha: -1, a: pw + i * n * m, b: pb + i * m * d, beta: 1,
                          c: gd + i * n * d, compute: g.compute)
                }
                g.compute.parallelFor(batch * n, grain: 16) { r in
                    for row in r {
                        var s: Float = 0
                        for j in 0..<m { s += pw[row * m + j] }
                        for k in 0..<d { gd[row * d + k] += s * pa[row * d + k] }
                    }
                }
            }
            if let db = g.gradient(for: b) {
                let gd = db.data
                for i in 0..<batch {
                    sgemm(transposeA: true, m: m, n: d, k: n, alpha: -1, a: pw + i * n * m, b: pa + i * n * d,
                          beta: 1, c: gd + i * m * d, compute: g.compute)
                }
                for i in 0..<batch {
                    for j in 0..<m {
                        var s: Float = 0
                        for row in 0..<n { s += pw[(i * n + row) * m + j] }
                        let dst = gd + (i * m + j) * d, src = pb + (i * m + j) * d
                        for k in 0..<d { dst[k] += s * src[k] }
                    }
                }
            }
            }
        }
    }

    /// x / max(‖x‖₂, eps) along the last axis (F.normalize). x, y: [..., D].
    public func l2Normalized(eps: Float = 1e-12) -> Variable {
        let d = shape.last ?? 1
        let rows = count / Swift.max(d, 1)
        let g = graph
        let out = g.allocate(shape)
        let norms = g.allocate([rows])
        let x = data, y = out.data
        let pn = norms.data   // `norms` itself is captured by the backward closure below
        g.compute.parallelFor(rows, grain: 16) { r in
            for i in r {
                var s: Float = 0
                for k in 0..<d { s += x[i * d + k] * x[i * d + k] }
                let norm = s.squareRoot()
                pn[i] = norm
                let inv = 1 / Swift.max(norm, eps)
                for k in 0..<d { y[i * d + k] = x[i * d + k] * inv }
            }
        }
        let input = handle  // backward reads the output only
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            let gx = dx.data, gy = dy.data, pn = norms.data, y = out.data  // keeps the output alive
            g.compute.parallelFor(rows, grain: 16) { r in
                for i in r {
                    let norm = pn[i]
                    if norm > eps {
                        // d(x/‖x‖) = (dy − y (y·dy)) / ‖x‖
                        var dot: Float = 0
                        for k in 0..<d { dot += y[i * d + k] * gy[i * d + k] }
                        for k in 0..<d { gx[i * d + k] += (gy[i * d + k] - y[i * d + k] * dot) / norm }
                    } else {
                        for k in 0..<d { gx[i * d + k] += gy[i * d + k] / eps }
                    }
                }
            }
        }
    }
}
