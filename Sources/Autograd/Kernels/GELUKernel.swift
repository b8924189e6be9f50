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
