import CBLAS
import Foundation

/// Row-major single-precision GEMM: C[M, N] = alpha · op(A) · op(B) + beta · C, on `compute`'s
/// threads. op(A) is [M, K] (A stored [K, M] when transposed), op(B) is [K, N] (B stored [N, K]
/// when transposed). Thin wrapper so call sites read like the maths.
@inline(__always)
public func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, compute: ComputePool) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
        return
    }
    matrixProduct(.float32, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: beta, c: c, ldc: n,
                  compute: compute)
}

/// How GEMMs use a pool's threads (`EngineOptions.gemmThreads`). By default OpenBLAS runs
/// single-threaded and qcs cuts each large product into one block per pool thread, computed
/// concurrently: OpenBLAS's own workers spin (sched_yield) between calls and then fight the
/// pool's threads for the same cores, which cost ~10 % of a training step in `perf`, and
/// Winograd's 16 independent products per tile parallelise better side by side than one after
/// another. `QCS_OPENBLAS_THREADS=1` gives the threads back to OpenBLAS.
extension ComputePool {
    /// The blocks a large product is cut into: one per thread, or 1 when OpenBLAS threads it.
    public var productBlocks: Int { options.gemmThreads == .openBLAS ? 1 : threads }

    /// Sets OpenBLAS's thread count for this pool. OpenBLAS keeps one count per process, so the
    /// last pool made sets it; pools that cut products into blocks all want 1.
    func configureBLAS() {
        openblas_set_num_threads(options.gemmThreads == .openBLAS ? Int32(threads) : 1)
    }

    /// Runs `body`, which calls GEMMs from several pool threads at once, with OpenBLAS on one
    /// thread: callers of a multi-threaded OpenBLAS queue on its one thread server. Only the
    /// `.openBLAS` mode needs the switch; otherwise OpenBLAS is single-threaded already.
    func withSingleThreadedBLAS(_ body: () -> Void) {
        guard options.gemmThreads == .openBLAS else { return body() }
        let threads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        body()
        openblas_set_num_threads(threads)
    }

    /// Runs `body(rows, columns)` over blocks of C[M, N]: `productBlocks` column blocks (row
    /// blocks when C is tall) of whole 16-wide groups, concurrently; products under 4 MFLOP run whole.
    func forEachProductBlock(m: Int, n: Int, k: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        let parts = productBlocks
        if parts <= 1 || Double(m) * Double(n) * Double(k) < 4e6 {
            body(0..<m, 0..<n)
            return
        }
        let wide = n >= m
        let length = wide ? n : m
        let per = ((length + parts - 1) / parts + 15) / 16 * 16
        regionClock?.enter()
        defer { regionClock?.leave() }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let start = p * per, end = min(length, start + per)
            guard start < end else { return }
            if wide { body(0..<m, start..<end) } else { body(start..<end, 0..<n) }
        }
    }
}
