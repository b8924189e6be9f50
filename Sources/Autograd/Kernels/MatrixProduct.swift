import BFloat16Kernels
import CBLAS

/// Row-major C[M, N] = alpha · op(A) · op(B) + beta · C in the given precision, with leading
/// dimensions as stored, on `compute`'s threads (`productBlocks`): float32 through OpenBLAS,
/// bfloat16 through the `BFloat16Kernels` C target, whose packing rounds the float32 operands.
func matrixProduct(_ precision: MatrixPrecision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                   alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, compute: ComputePool) {
    compute.forEachProductBlock(m: m, n: n, k: k) { rows, cols in
        singleThreadedProduct(precision, transposeA: transposeA, transposeB: transposeB,
                              m: rows.count, n: cols.count, k: k, alpha: alpha,
                              a: a + (transposeA ? rows.lowerBound : rows.lowerBound * lda), lda: lda,
                              b: b + (transposeB ? cols.lowerBound * ldb : cols.lowerBound), ldb: ldb,
                              beta: beta, c: c + rows.lowerBound * ldc + cols.lowerBound, ldc: ldc)
    }
}

/// `matrixProduct` on the calling thread only, for kernels that already run one product per
/// worker (attention's (image, head) pairs). OpenBLAS must be single-threaded meanwhile
/// (`ComputePool.withSingleThreadedBLAS`).
func singleThreadedProduct(_ precision: MatrixPrecision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    switch precision {
    case .float32:
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    case .bfloat16(let kernel):
        let status = qcs_bf16_gemm(kernel.cValue, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha,
                                   a, lda, b, ldb, beta, c, ldc)
        // Only the per-thread packing buffers (a few hundred KiB) are allocated: out of memory.
        precondition(status == 0, "bfloat16 GEMM: out of memory for its packing buffers")
    }
}

/// `matrixProduct` on contiguous matrices (leading dimensions from the shapes), as `sgemm` is.
public func matrixProduct(_ precision: MatrixPrecision, transposeA: Bool = false, transposeB: Bool = false,
                          m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                          beta: Float = 0, c: UnsafeMutablePointer<Float>, compute: ComputePool) {
    guard m > 0, n > 0 else { return }
    matrixProduct(precision, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                  a: a, lda: max(1, transposeA ? m : k), b: b, ldb: max(1, transposeB ? k : n), beta: beta, c: c, ldc: n,
                  compute: compute)
}
