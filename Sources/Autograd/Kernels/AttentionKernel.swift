import Foundation
import CBLAS

/// Multi-head scaled dot-product self-attention on a fused qkv projection, in timm's layout.
///
/// Shapes (letter legend: B images, T tokens, H heads, E = D/H head width, D = H·E):
/// qkv [B, T, 3D], read as [B, T, 3, H, E]: q = chunk 0, k = chunk 1, v = chunk 2, head h at
/// columns h·E..<(h+1)·E of its chunk; probs [B, H, T, T] (softmax over the last axis = keys,
/// saved for backward); out [B, T, D] (heads side by side, before the output projection).
///
/// Each (image, head) pair is three small matrix products (T×T×E) and a softmax, reading q, k,
/// v and writing out in place through leading dimensions, so no head is ever copied out.
/// One such product is too small to feed several OpenBLAS threads well, so the fast kernels
/// hand whole pairs to the compute pool instead, each worker calling a single-threaded GEMM
/// (float32 or bfloat16 operands; the softmax is float32 either way).
enum AttentionKernel {
    struct Sizes {
        let batch: Int, tokens: Int, heads: Int, headWidth: Int
        var width: Int { heads * headWidth }
        var pairs: Int { batch * heads }
        var scale: Float { 1 / Float(headWidth).squareRoot() }
    }

    // MARK: - Fast (parallel over (image, head) pairs, sgemm per pair)

    static func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                        qkv: UnsafePointer<Float>, sizes s: Sizes, precision: MatrixPrecision = .float32,
                        compute: ComputePool) {
        let (t, e, d) = (s.tokens, s.headWidth, s.width)
        let ld = 3 * d
        forEachPair(s, compute: compute) { pair, _ in
            let (b, h) = pair.quotientAndRemainder(dividingBy: s.heads)
            let q = qkv + b * t * 3 * d + h * e, k = q + d, v = q + 2 * d
            let p = probs + pair * t * t
            // Scores S = scale·q·kᵀ, then the softmax in place: P.
            singleThreadedProduct(precision, transposeA: false, transposeB: true, m: t, n: t, k: e,
                                  alpha: s.scale, a: q, lda: ld, b: k, ldb: ld, beta: 0, c: p, ldc: t)
            for row in 0..<t { RowSoftmax.forward(p + row * t, count: t) }
            // Out_h = P·v, straight into this head's columns of out.
            singleThreadedProduct(precision, transposeA: false, transposeB: false, m: t, n: e, k: t,
                                  a: p, lda: t, b: v, ldb: ld, beta: 0, c: out + b * t * d + h * e, ldc: d)
        }
    }

    /// How many workers the pairs are split over, hence the backward workspace: `workers · T · T`.
    static func workers(_ s: Sizes, threads: Int) -> Int { max(1, min(threads, s.pairs)) }

    /// Adds the gradient of `forward` into dqkv. With G = dOut_h and P the saved probabilities:
    /// dP = G·vᵀ; dv += Pᵀ·G; dS = P ⊙ (dP − rowsum(P ⊙ dP)); dq += scale·dS·k; dk += scale·dSᵀ·q.
    /// Each worker keeps its dP/dS in its own T×T slice of `workspace`.
    static func backward(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                         probs: UnsafePointer<Float>, qkv: UnsafePointer<Float>, sizes s: Sizes,
                         workspace: UnsafeMutablePointer<Float>, precision: MatrixPrecision = .float32,
                         compute: ComputePool) {
        let (t, e, d) = (s.tokens, s.headWidth, s.width)
        let ld = 3 * d
        forEachPair(s, compute: compute) { pair, worker in
            let (b, h) = pair.quotientAndRemainder(dividingBy: s.heads)
            let offset = b * t * 3 * d + h * e
            let q = qkv + offset, k = q + d, v = q + 2 * d
            let dq = dqkv + offset, dk = dq + d, dv = dq + 2 * d
            let p = probs + pair * t * t
            let go = dout + b * t * d + h * e
            let ds = workspace + worker * t * t
            singleThreadedProduct(precision, transposeA: false, transposeB: true, m: t, n: t, k: e,
                                  a: go, lda: d, b: v, ldb: ld, beta: 0, c: ds, ldc: t)
            singleThreadedProduct(precision, transposeA: true, transposeB: false, m: t, n: e, k: t,
                                  a: p, lda: t, b: go, ldb: d, beta: 1, c: dv, ldc: ld)
            for row in 0..<t { RowSoftmax.backward(ds + row * t, probs: p + row * t, count: t) }
            singleThreadedProduct(precision, transposeA: false, transposeB: false, m: t, n: e, k: t,
                                  alpha: s.scale, a: ds, lda: t, b: k, ldb: ld, beta: 1, c: dq, ldc: ld)
            singleThreadedProduct(precision, transposeA: true, transposeB: false, m: t, n: e, k: t,
                                  alpha: s.scale, a: ds, lda: t, b: q, ldb: ld, beta: 1, c: dk, ldc: ld)
        }
    }

    /// Runs `body(pair, worker)` for every (image, head) pair, pairs split into `workers`
    /// contiguous blocks run concurrently. OpenBLAS is held to one thread meanwhile: several
    /// threads calling a multi-threaded OpenBLAS queue on its one thread server.
    /// Measured on 2 cores (OpenBLAS 0.3.21, B 24, T 148, 8 heads of 96, forward): 25–45 ms this
    /// way; 32–196 ms with the pairs in turn on 2-thread sgemm; 270–760 ms with pairs in
    /// parallel on a 2-thread OpenBLAS. Concurrent single-threaded calls are safe in 0.3.21
    /// (checked against the reference kernel with 2 workers in the tests).
    static func forEachPair(_ s: Sizes, compute: ComputePool, _ body: (Int, Int) -> Void) {
        let workers = workers(s, threads: compute.threads)
        guard workers > 1 else {
            for pair in 0..<s.pairs { body(pair, 0) }
            return
        }
        let per = (s.pairs + workers - 1) / workers
        compute.withSingleThreadedBLAS {
            compute.parallelFor(workers, grain: 1) { r in
                for worker in r {
                    for pair in (worker * per)..<min(s.pairs, (worker + 1) * per) { body(pair, worker) }
                }
            }
        }
    }

    // MARK: - Reference (plain loops, double precision)

    static func forwardReference(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                                 qkv: UnsafePointer<Float>, sizes s: Sizes) {
        let (t, e, d) = (s.tokens, s.headWidth, s.width)
        func at(_ b: Int, _ i: Int, _ chunk: Int, _ h: Int, _ c: Int) -> Double {
            Double(qkv[(b * t + i) * 3 * d + chunk * d + h * e + c])
        }
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                let p = probs + (b * s.heads + h) * t * t
                for i in 0..<t {
                    var scores = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        for c in 0..<e { scores[j] += at(b, i, 0, h, c) * at(b, j, 1, h, c) }
                        scores[j] *= Double(s.scale)
                    }
                    let m = scores.max()!
                    let ex = scores.map { Foundation.exp($0 - m) }
                    let z = ex.reduce(0, +)
                    for j in 0..<t { p[i * t + j] = Float(ex[j] / z) }
                    for c in 0..<e {
                        var acc = 0.0
                        for j in 0..<t { acc += ex[j] / z * at(b, j, 2, h, c) }
                        out[(b * t + i) * d + h * e + c] = Float(acc)
                    }
                }
            }
        }
    }

    static func backwardReference(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                  probs: UnsafePointer<Float>, qkv: UnsafePointer<Float>, sizes s: Sizes) {
        let (t, e, d) = (s.tokens, s.headWidth, s.width)
        func index(_ b: Int, _ i: Int, _ chunk: Int, _ h: Int, _ c: Int) -> Int {
            (b * t + i) * 3 * d + chunk * d + h * e + c
        }
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                let p = probs + (b * s.heads + h) * t * t
                for i in 0..<t {
                    // dP_ij = Σ_c dOut_ic · v_jc, then through the softmax of row i.
                    var dp = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        for c in 0..<e {
                            dp[j] += Double(dout[(b * t + i) * d + h * e + c]) * Double(qkv[index(b, j, 2, h, c)])
                        }
                    }
                    let dot = (0..<t).reduce(0.0) { $0 + Double(p[i * t + $1]) * dp[$1] }
                    for j in 0..<t {
                        let pij = Double(p[i * t + j])
                        let ds = pij * (dp[j] - dot) * Double(s.scale)
                        for c in 0..<e {
                            dqkv[index(b, i, 0, h, c)] += Float(ds * Double(qkv[index(b, j, 1, h, c)]))
                            dqkv[index(b, j, 1, h, c)] += Float(ds * Double(qkv[index(b, i, 0, h, c)]))
                            dqkv[index(b, j, 2, h, c)] += Float(pij * Double(dout[(b * t + i) * d + h * e + c]))
                        }
                    }
                }
            }
        }
    }
}
