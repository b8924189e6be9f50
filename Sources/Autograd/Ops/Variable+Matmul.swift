// Batched matrix product. a: [..., M, K] (or [..., K, M] with transposeA), b: [..., K, N]
// (or [..., N, K] with transposeB), out: [..., M, N]. The batch dims of a and b must be equal,
// or b may be 2-D and shared by every batch entry (a weight).

extension Variable {
    public func matmul(_ other: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        let a = self, b = other
        precondition(a.shape.count >= 2 && b.shape.count >= 2, "matmul needs rank ≥ 2, got \(a.shape) and \(b.shape)")
        let batchShape = Array(a.shape.dropLast(2))
        let bShared = b.shape.count == 2 && !batchShape.isEmpty
        precondition(bShared || Array(b.shape.dropLast(2)) == batchShape,
                     "matmul batch dims differ: \(a.shape) vs \(b.shape)")
        let ar = a.shape[a.shape.count - 2], ac = a.shape[a.shape.count - 1]
        let br = b.shape[b.shape.count - 2], bc = b.shape[b.shape.count - 1]
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (kb, n) = transposeB ? (bc, br) : (br, bc)
        precondition(k == kb, "matmul inner dims differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let batch = batchShape.reduce(1, *)
        let g = graph
        let out = g.allocate(batchShape + [m, n])

        if bShared && !transposeA {
            // One tall GEMM over all batch rows: [batch·M, K] · B.
            sgemm(transposeB: transposeB, m: batch * m, n: n, k: k, a: a.data, b: b.data, c: out.data, compute: g.compute)
        } else {
            for i in 0..<batch {
                sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: a.data + i * m * k, b: b.data + (bShared ? 0 : i * k * n), c: out.data + i * m * n, compute: g.compute)
            }
        }

        return g.record(out, inputs: [a, b]) { g, dy in
            // out = op(A)·op(B): dop(A) = dY·op(B)ᵀ, dop(B) = op(A)ᵀ·dY; transposes move to the other side.
            if let da = g.gradient(for: a) {
                if bShared && !transposeA {
                    sgemm(transposeB: !transposeB, m: batch * m, n: k, k: n, a: dy.data, b: b.data,
                          beta: 1, c: da.data, compute: g.compute)
                } else {
                    for i in 0..<batch {
                        let dyi = dy.data + i * m * n, bi = b.data + (bShared ? 0 : i * k * n)
                        if transposeA {   // dA [K, M] = op(B) · dYᵀ
                            sgemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                                  a: bi, b: dyi, beta: 1, c: da.data + i * m * k, compute: g.compute)
                        } else {          // dA [M, K] = dY · op(B)ᵀ
                            sgemm(transposeB: !transposeB, m: m, n: k, k: n, a: dyi, b: bi, beta: 1,
                                  c: da.data + i * m * k, compute: g.compute)
                        }
                    }
                }
            }
            if let db = g.gradient(for: b) {
                if bShared && !transposeA {
                    if transposeB {       // dB [N, K] = dYᵀ · A over all rows
                        sgemm(transposeA: true, m: n, n: k, k: batch * m, a: dy.data, b: a.data, beta: 1, c: db.data, compute: g.compute)
                    } else {              // dB [K, N] = Aᵀ · dY
                        sgemm(transposeA: true, m: k, n: n, k: batch * m, a: a.data, b: dy.data, beta: 1, c: db.data, compute: g.compute)
                    }
                } else {
                    for i in 0..<batch {
                        let dyi = dy.data + i * m * n, ai = a.data + i * m * k
                        let dbi = db.data + (bShared ? 0 : i * k * n)
                        if transposeB {   // dB [N, K] = dYᵀ · op(A)
                            sgemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m, a: dyi, b: ai,
                                  beta: 1, c: dbi, compute: g.compute)
                        } else {          // dB [K, N] = op(A)ᵀ · dY
                            sgemm(transposeA: !transposeA, m: k, n: n, k: m, a: ai, b: dyi, beta: 1, c: dbi, compute: g.compute)
                        }
                    }
                }
            }
        }
    }
}
