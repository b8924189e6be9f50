/// The exact GELU, x·Φ(x), without a libm call per element: Φ comes from the complementary
/// error function in Numerical Recipes' Chebyshev form (fractional error below 1.2e-7), whose one
/// exponential is `RowSoftmax.exp`. In the MLPs of the ViTs this runs on [B·T, 4D] activations,
/// where `erf` and `exp` from libm cost as much as the matrix products around them.
/// Shapes: x, y, dx, dy are n floats.
enum GELUKernel {
    /// Φ(x) and the standard normal density φ(x).
    @inline(__always)
    static func cdfAndDensity(_ x: Float) -> (cdf: Float, pdf: Float) {
        let z = abs(x) * 0.70710678118654752            // |x|/√2
        let t = 1 / (1 + 0.5 * z)
        var p: Float = 0.17087277
        p = p * t - 0.82215223
        p = p * t + 1.48851587
        p = p * t - 1.13520398
        p = p * t + 0.27886807
        p = p * t - 0.18628806
        p = p * t + 0.09678418
        p = p * t + 0.37409196
        p = p * t + 1.00002368
        p = p * t - 1.26551223
        let halfErfc = 0.5 * t * RowSoftmax.exp(-z * z + p)   // ½·erfc(|x|/√2) = Φ(−|x|)
        let cdf = x >= 0 ? 1 - halfErfc : halfErfc
        let pdf = 0.39894228040143268 * RowSoftmax.exp(-0.5 * x * x)
        return (cdf, pdf)
    }

    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, compute: ComputePool) {
        compute.parallelFor(count, grain: 16_384) { r in
            for i in r { y[i] = x[i] * cdfAndDensity(x[i]).cdf }
        }
    }

    /// dx += dy · (Φ(x) + x·φ(x)), or dx = … with `overwrite`.
    static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                         count: Int, overwrite: Bool = false, compute: ComputePool) {
        compute.parallelFor(count, grain: 16_384) { r in
            for i in r {
                let (cdf, pdf) = cdfAndDensity(x[i])
                let d = dy[i] * (cdf + x[i] * pdf)
                dx[i] = overwrite ? d : dx[i] + d
            }
        }
    }
}

/// The bias and GELU of a linear layer as one pass on each side of its product (`linearGELU`).
/// Shapes: h, y, dy, dh [M, N] (M rows, N out-features), bias and db [N].
extension GELUKernel {
    /// h += bias in every row, then y = GELU(h): the product's output is read once, where a bias
    /// pass before it and a GELU pass after it would read and write it twice.
    static func forwardAddingBias(_ h: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                  rows m: Int, columns n: Int, compute: ComputePool) {
        guard n > 0 else { return }
        compute.parallelFor(m, grain: max(1, 16_384 / n)) { r in
            for row in r {
                let hr = h + row * n, yr = y + row * n
                for c in 0..<n {
                    let v = hr[c] + bias[c]
                    hr[c] = v
                    yr[c] = v * cdfAndDensity(v).cdf
                }
            }
        }
    }

    /// dh = dy·GELU′(h), and db += the column sums of dh, in one pass. Split over columns so that
    /// each thread owns its slice of db and adds the rows in order: the sums do not depend on the
    /// number of threads, and equal `LinearKernel.backward`'s.
    static func backwardSummingBias(_ h: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dh: UnsafeMutablePointer<Float>,
                                    db: UnsafeMutablePointer<Float>?, rows m: Int, columns n: Int, compute: ComputePool) {
        compute.parallelFor(n, grain: 64) { r in
            for row in 0..<m {
                let hr = h + row * n, gr = dy + row * n, dr = dh + row * n
                for c in r {
                    let (cdf, pdf) = cdfAndDensity(hr[c])
                    dr[c] = gr[c] * (cdf + hr[c] * pdf)
                }
                if let db { for c in r { db[c] += dr[c] } }
            }
        }
    }
}
