/// Picking every s-th pixel of every s-th row, and its transpose. Serves nearest downsampling
/// by an integer factor and 1x1 max-pooling with a stride (they differ only in output size).
///
/// Buffers: x, dx [P, H, W] (P = N·C planes); y, dy [P, Ho, Wo] with y[i, j] = x[s·i, s·j].
enum StridedGather {
    static func gather(_ x: UnsafePointer<Float>, planes: Int, height H: Int, width W: Int, stride s: Int,
                       outHeight Ho: Int, outWidth Wo: Int, into y: UnsafeMutablePointer<Float>,
                       compute: ComputePool) {
        precondition((Ho - 1) * s < H && (Wo - 1) * s < W, "strided gather \(Ho)x\(Wo) by \(s) reads outside \(H)x\(W)")
        compute.parallelFor(planes, grain: max(1, 16_384 / max(1, Ho * Wo))) { r in
            for q in r {
                for i in 0..<Ho {
                    let src = x + q * H * W + i * s * W, dst = y + (q * Ho + i) * Wo
                    for j in 0..<Wo { dst[j] = src[j * s] }
                }
            }
        }
    }

    /// dx[s·i, s·j] += dy[i, j]; the pixels never picked get nothing.
    static func scatterAdding(_ dy: UnsafePointer<Float>, planes: Int, height H: Int, width W: Int, stride s: Int,
                              outHeight Ho: Int, outWidth Wo: Int, into dx: UnsafeMutablePointer<Float>,
                              compute: ComputePool) {
        compute.parallelFor(planes, grain: max(1, 16_384 / max(1, Ho * Wo))) { r in
            for q in r {
                for i in 0..<Ho {
                    let dst = dx + q * H * W + i * s * W, src = dy + (q * Ho + i) * Wo
                    for j in 0..<Wo { dst[j * s] += src[j] }
                }
            }
        }
    }
}
