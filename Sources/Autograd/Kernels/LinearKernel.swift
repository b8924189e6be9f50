import CBLAS

/// The fully connected layer y = x·wᵀ + b on M rows, weights in PyTorch's [Out, In] layout.
///
/// Shapes (letter legend: M rows = product of the leading dims, I in-features, O out-features):
/// x [M, I], w [O, I], b [O] (optional), y [M, O]; gradients have their tensor's shape.
/// The fast path is one GEMM per product (float32 or bfloat16, `MatrixPrecision`); the `reference` functions are plain loops kept as
/// the test oracle.
enum LinearKernel {
    // MARK: - Fast (sgemm)

    /// y = x·wᵀ + b. With a bias, y starts as b in every row and the sgemm adds onto it
    /// (beta = 1), so the bias costs one write pass and no extra read of y.
    static func forward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                        b: UnsafePointer<Float>?, rows m: Int, inFeatures i: Int, outFeatures o: Int,
                        precision: MatrixPrecision = .float32, compute: ComputePool) {
        guard m > 0, o > 0 else { return }
        var beta: Float = 0
        if let b {
            compute.parallelFor(m, grain: max(1, 16_384 / max(o, 1))) { r in
                for row in r { (y + row * o).update(from: b, count: o) }
            }
            beta = 1
        }
        guard i > 0 else {
            if b == nil { y.update(repeating: 0, count: m * o) }
            return
        }
        matrixProduct(precision, transposeA: false, transposeB: true, m: m, n: o, k: i,
                      a: x, lda: i, b: w, ldb: i, beta: beta, c: y, ldc: o, compute: compute)
    }

    /// Adds the gradients of `forward`: dx += dy·w, dw += dyᵀ·x, db += column sums of dy
    /// (`overwriteDx`: dx = dy·w). Each destination is optional; nil skips its work.
    static func backward(dx: UnsafeMutablePointer<Float>?, overwriteDx: Bool = false, dw: UnsafeMutablePointer<Float>?,
                         db: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                         x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         rows m: Int, inFeatures i: Int, outFeatures o: Int,
                         precision: MatrixPrecision = .float32, compute: ComputePool) {
        guard m > 0, o > 0 else { return }
        if let dx, i > 0 {
            matrixProduct(precision, transposeA: false, transposeB: false, m: m, n: i, k: o,
                          a: dy, lda: o, b: w, ldb: i, beta: overwriteDx ? 0 : 1, c: dx, ldc: i, compute: compute)
        }
        if let dw, i > 0 {
            matrixProduct(precision, transposeA: true, transposeB: false, m: o, n: i, k: m,
                          a: dy, lda: o, b: x, ldb: i, beta: 1, c: dw, ldc: i, compute: compute)
        }
        if let db {
            // Split over columns so each thread owns its slice of db; rows are read in order,
            // which keeps the sum deterministic and the inner loop contiguous.
            compute.parallelFor(o, grain: 64) { r in
                for row in 0..<m {
                    let g = dy + row * o
                    for c in r { db[c] += g[c] }
                }
            }
        }
    }

    // MARK: - Reference (plain loops)

    static func forwardReference(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                 w: UnsafePointer<Float>, b: UnsafePointer<Float>?,
                                 rows m: Int, inFeatures i: Int, outFeatures o: Int) {
        for row in 0..<m {
            for c in 0..<o {
                var s = Double(b?[c] ?? 0)
                for k in 0..<i { s += Double(x[row * i + k]) * Double(w[c * i + k]) }
                y[row * o + c] = Float(s)
            }
        }
    }

    static func backwardReference(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                  db: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                                  x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                  rows m: Int, inFeatures i: Int, outFeatures o: Int) {
        for row in 0..<m {
            for c in 0..<o {
                let g = dy[row * o + c]
                db?[c] += g
                for k in 0..<i {
                    dx?[row * i + k] += g * w[c * i + k]
                    dw?[c * i + k] += g * x[row * i + k]
                }
            }
        }
    }
}
