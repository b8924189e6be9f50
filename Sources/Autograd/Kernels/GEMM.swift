import CBLAS

/// Row-major single-precision GEMM: C[M, N] = alpha · op(A) · op(B) + beta · C.
/// op(A) is [M, K] (A stored [K, M] when transposed), op(B) is [K, N] (B stored [N, K] when
/// transposed). Thin wrapper so call sites read like the maths.
@inline(__always)
public func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(transposeA ? m : k),
                b, Int32(transposeB ? k : n),
                beta, c, Int32(n))
}
