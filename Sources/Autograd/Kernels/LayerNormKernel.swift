import Foundation

/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm` (biased variance).
///
/// Shapes (letter legend: M rows = product of the leading dims, D features):
/// x, y [M, D]; weight, bias [D]; mean, rstd [M] (saved by forward for backward).
/// Forward and backward are each one fused pass per row, rows split over the compute pool.
enum LayerNormKernel {
    // MARK: - Fast (fused, parallel over rows)

    /// y = (x − mean)·rstd·weight + bias, with rstd = 1/√(var + eps).
    static func forward(y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                        rstd: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        rows m: Int, features d: Int, eps: Float, compute: ComputePool) {
        guard d > 0 else { return }
        let invD = 1 / Float(d)
        compute.parallelFor(m, grain: max(1, 8192 / d)) { r in
            for row in r {
                let xr = x + row * d, yr = y + row * d
                // Two passes (mean, then squared deviations) so large offsets do not cancel.
                var s: Float = 0
                for k in 0..<d { s += xr[k] }
                let mu = s * invD
                var v: Float = 0
                for k in 0..<d { let c = xr[k] - mu; v += c * c }
                let rs = 1 / (v * invD + eps).squareRoot()
                for k in 0..<d { yr[k] = (xr[k] - mu) * rs * weight[k] + bias[k] }
                mean[row] = mu
                rstd[row] = rs
            }
        }
    }

    /// How many row blocks `backward` splits into, hence the size of its workspace:
    /// `chunks · 2 · D` floats (per-block partial sums of dweight and dbias).
    static func backwardChunks(rows m: Int, threads: Int) -> Int {
        max(1, min(threads, m))
    }

    /// Adds the gradients of `forward`. With x̂ = (x − mean)·rstd and g = dy·weight:
    /// dx += rstd·(g − mean(g) − x̂·mean(g·x̂)); dweight += Σ_rows dy·x̂; dbias += Σ_rows dy.
    /// Weight and bias sums are taken per row block into `workspace` and then added in block
    /// order, so the result does not depend on thread timing.
    static func backward(dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                         dbias: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                         x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                         weight: UnsafePointer<Float>, rows m: Int, features d: Int,
                         workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        guard d > 0, m > 0 else { return }
        let chunks = backwardChunks(rows: m, threads: compute.threads)
        let per = (m + chunks - 1) / chunks
        let invD = 1 / Float(d)
        workspace.update(repeating: 0, count: chunks * 2 * d)
        compute.parallelFor(chunks, grain: 1) { cr in
            for chunk in cr {
                let pw = workspace + chunk * 2 * d, pb = pw + d
                for row in (chunk * per)..<min(m, (chunk + 1) * per) {
                    let xr = x + row * d, gr = dy + row * d
                    let mu = mean[row], rs = rstd[row]
                    var sumG: Float = 0, sumGX: Float = 0
                    for k in 0..<d {
                        let xh = (xr[k] - mu) * rs
                        let gk = gr[k] * weight[k]
                        sumG += gk
                        sumGX += gk * xh
                        pw[k] += gr[k] * xh
                        pb[k] += gr[k]
                    }
                    guard let dx else { continue }
                    let dxr = dx + row * d
                    let meanG = sumG * invD, meanGX = sumGX * invD
                    for k in 0..<d {
                        let xh = (xr[k] - mu) * rs
                        dxr[k] += rs * (gr[k] * weight[k] - meanG - xh * meanGX)
                    }
                }
            }
        }
        for chunk in 0..<chunks {
            let pw = workspace + chunk * 2 * d, pb = pw + d
            if let dweight { for k in 0..<d { dweight[k] += pw[k] } }
            if let dbias { for k in 0..<d { dbias[k] += pb[k] } }
        }
    }

    // MARK: - Reference (plain loops, double precision)

    static func forwardReference(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                 rows m: Int, features d: Int, eps: Float) {
        for row in 0..<m {
            let xr = x + row * d
            let mu = (0..<d).reduce(0.0) { $0 + Double(xr[$1]) } / Double(d)
            let v = (0..<d).reduce(0.0) { $0 + (Double(xr[$1]) - mu) * (Double(xr[$1]) - mu) } / Double(d)
            let rs = 1 / (v + Double(eps)).squareRoot()
            for k in 0..<d {
                y[row * d + k] = Float((Double(xr[k]) - mu) * rs * Double(weight[k]) + Double(bias[k]))
            }
        }
    }

    static func backwardReference(dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                  dbias: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                                  x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                  rows m: Int, features d: Int, eps: Float) {
        for row in 0..<m {
            let xr = x + row * d, gr = dy + row * d
            let mu = (0..<d).reduce(0.0) { $0 + Double(xr[$1]) } / Double(d)
            let v = (0..<d).reduce(0.0) { $0 + (Double(xr[$1]) - mu) * (Double(xr[$1]) - mu) } / Double(d)
            let rs = 1 / (v + Double(eps)).squareRoot()
            let xh = (0..<d).map { (Double(xr[$0]) - mu) * rs }
            let g = (0..<d).map { Double(gr[$0]) * Double(weight[$0]) }
            let meanG = g.reduce(0, +) / Double(d)
            let meanGX = zip(g, xh).reduce(0.0) { $0 + $1.0 * $1.1 } / Double(d)
            for k in 0..<d {
                dx?[row * d + k] += Float(rs * (g[k] - meanG - xh[k] * meanGX))
                dweight?[k] += Float(Double(gr[k]) * xh[k])
                dbias?[k] += gr[k]
            }
        }
    }
}
