/// The plain direct convolution: six nested loops, no tricks. It is the reference the fast
/// kernels are tested against and the fallback for shapes too small to be worth a GEMM.
///
/// Buffers (see `ConvGeometry` for the legend): x [N, C, H, W], weight [O, C, kh, kw],
/// bias [O], out [N, O, Ho, Wo].
public enum ConvReference {
    /// out = weight ⋆ x + bias (overwrites `out`).
    public static func forward(_ geo: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
        let (Ho, Wo) = (geo.outHeight, geo.outWidth)
        for n in 0..<geo.batch {
            for o in 0..<geo.outChannels {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        var sum = bias?[o] ?? 0
                        forEachTap(geo, i, j) { c, ki, kj, ih, iw in
                            sum += weight[((o * geo.inChannels + c) * geo.kernelH + ki) * geo.kernelW + kj]
                                * x[((n * geo.inChannels + c) * geo.height + ih) * geo.width + iw]
                        }
                        out[((n * geo.outChannels + o) * Ho + i) * Wo + j] = sum
                    }
                }
            }
        }
    }

    /// Adds the gradients of the loss into dx [N, C, H, W], dWeight [O, C, kh, kw] and
    /// dBias [O] (each optional) given dOut [N, O, Ho, Wo].
    public static func backward(_ geo: ConvGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                dOut: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?) {
        let (Ho, Wo) = (geo.outHeight, geo.outWidth)
        for n in 0..<geo.batch {
            for o in 0..<geo.outChannels {
                for i in 0..<Ho {
                    for j in 0..<Wo {
                        let g = dOut[((n * geo.outChannels + o) * Ho + i) * Wo + j]
                        dBias?[o] += g
                        forEachTap(geo, i, j) { c, ki, kj, ih, iw in
                            let w = ((o * geo.inChannels + c) * geo.kernelH + ki) * geo.kernelW + kj
                            let xi = ((n * geo.inChannels + c) * geo.height + ih) * geo.width + iw
                            dWeight?[w] += g * x[xi]
                            dx?[xi] += g * weight[w]
                        }
                    }
                }
            }
        }
    }

    /// Calls `body(c, ki, kj, ih, iw)` for every kernel tap of output pixel (i, j) that lands
    /// inside the input (taps on the padding contribute zero and are skipped).
    @inline(__always)
    static func forEachTap(_ geo: ConvGeometry, _ i: Int, _ j: Int, _ body: (Int, Int, Int, Int, Int) -> Void) {
        for c in 0..<geo.inChannels {
            for ki in 0..<geo.kernelH {
                let ih = i * geo.stride - geo.padding + ki
                if ih < 0 || ih >= geo.height { continue }
                for kj in 0..<geo.kernelW {
                    let iw = j * geo.stride - geo.padding + kj
                    if iw < 0 || iw >= geo.width { continue }
                    body(c, ki, kj, ih, iw)
                }
            }
        }
    }
}
