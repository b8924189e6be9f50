import CBLAS
import Foundation

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
    splitSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
               a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: beta, c: c, ldc: n)
}

/// How GEMMs use the rank's threads. By default OpenBLAS runs single-threaded and qcs cuts each
/// large product into `threads` blocks computed concurrently: OpenBLAS's own workers spin
/// (sched_yield) between calls and then fight the compute pool's threads for the same cores,
/// which cost ~10 % of a training step in `perf`, and Winograd's 16 independent products per
/// tile parallelise better side by side than one after another. `QCS_OPENBLAS_THREADS=1` in the
/// environment restores OpenBLAS's own threading. Set by `ComputePool.init` (like OpenBLAS's
/// own thread count, which it mirrors, this is process-wide).
public enum GEMMThreading {
    nonisolated(unsafe) static var blocks = 1
    static let openBLASThreads = getenv("QCS_OPENBLAS_THREADS") != nil

    /// Runs `body`, which calls sgemm from several pool threads at once, with OpenBLAS on one
    /// thread: callers of a multi-threaded OpenBLAS queue on its one thread server. Only
    /// `QCS_OPENBLAS_THREADS` mode needs the switch; otherwise OpenBLAS is single-threaded already.
    static func withSingleThreadedBLAS(_ body: () -> Void) {
        guard openBLASThreads else { return body() }
        let threads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        body()
        openblas_set_num_threads(threads)
    }

    static func configure(threads: Int) {
        if openBLASThreads {
            blocks = 1
            openblas_set_num_threads(Int32(threads))
        } else {
            blocks = threads
            openblas_set_num_threads(1)
        }
    }
}


/// C = alpha·op(A)·op(B) + beta·C with explicit leading dimensions, cut into `GEMMThreading.blocks`
/// column blocks (or row blocks when C is tall) computed concurrently; small products run whole.
public func splitSgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    matrixProduct(.float32, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

extension GEMMThreading {
    /// Runs `body(rows, columns)` over blocks of C[M, N]: `blocks` column blocks (row blocks
    /// when C is tall) of whole 16-wide groups, concurrently; products under 4 MFLOP run whole.
    static func forEachBlock(m: Int, n: Int, k: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        let parts = blocks
        if parts <= 1 || Double(m) * Double(n) * Double(k) < 4e6 {
            body(0..<m, 0..<n)
            return
        }
        let wide = n >= m
        let length = wide ? n : m
        let per = ((length + parts - 1) / parts + 15) / 16 * 16
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let start = p * per, end = min(length, start + per)
            guard start < end else { return }
            if wide { body(0..<m, start..<end) } else { body(start..<end, 0..<n) }
        }
    }
}
