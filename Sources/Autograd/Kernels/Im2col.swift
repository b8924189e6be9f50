/// Unfolding images into patch columns (im2col) and folding column gradients back (col2im),
/// for a tile of consecutive images at a time so one GEMM sees several images' columns.
///
/// Buffers (legend of `ConvGeometry`; T = images in the tile):
/// - x, dx: T images of [C, H, W], consecutive.
/// - col [K, T·Ho·Wo] with K = C·kh·kw: row (c·kh + ki)·kw + kj holds tap (c, ki, kj) of every
///   output pixel; column t·Ho·Wo + i·Wo + j is pixel (i, j) of image t. Padding reads as zero.
enum Im2col {
    /// Fills `col` (overwrites) from `images` images starting at `x`. Parallel over channels.
    static func unfold(_ geo: ConvGeometry, x: UnsafePointer<Float>, images: Int,
                       col: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let (W, Ho, Wo, s) = (geo.width, geo.outHeight, geo.outWidth, geo.stride)
        forEachTap(geo, images: images, compute: compute) { tap in
            let src = x + tap.image
            let dst = col + tap.column
            // Rows reading the top or bottom padding are all zero.
            dst.update(repeating: 0, count: tap.rows.lowerBound * Wo)
            dst.advanced(by: tap.rows.upperBound * Wo).update(repeating: 0, count: (Ho - tap.rows.upperBound) * Wo)
            let cols = tap.cols, shift = tap.shift
            for i in tap.rows {
                let d = dst + i * Wo
                let srow = src + (i * s - geo.padding + tap.ki) * W
                d.update(repeating: 0, count: cols.lowerBound)
                d.advanced(by: cols.upperBound).update(repeating: 0, count: Wo - cols.upperBound)
                if s == 1 {
                    (d + cols.lowerBound).update(from: srow + cols.lowerBound + shift, count: cols.count)
                } else if s == 2 {
                    // A constant stride and unchecked index arithmetic let the compiler vectorise the gather.
                    for j in cols { d[j] = srow[2 &* j &+ shift] }
                } else {
                    for j in cols { d[j] = srow[j &* s &+ shift] }
                }
            }
        }
    }

    /// Adds the column gradients `col` into `dx` (the transpose of `unfold`; padding taps are
    /// dropped). Parallel over channels, so no two threads touch the same dx plane.
    static func foldAdding(_ geo: ConvGeometry, col: UnsafePointer<Float>, images: Int,
                           dx: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let (W, Wo, s) = (geo.width, geo.outWidth, geo.stride)
        forEachTap(geo, images: images, compute: compute) { tap in
            let dst = dx + tap.image
            let src = col + tap.column
            let cols = tap.cols, shift = tap.shift
            for i in tap.rows {
                let g = src + i * Wo
                let drow = dst + (i * s - geo.padding + tap.ki) * W
                if s == 1 {
                    let d = drow + shift
                    for j in cols { d[j] += g[j] }
                } else if s == 2 {
                    for j in cols { drow[2 &* j &+ shift] += g[j] }
                } else {
                    for j in cols { drow[j &* s &+ shift] += g[j] }
                }
            }
        }
    }

    /// One kernel tap (c, ki, kj) of one image of the tile: where its input plane starts (`image`,
    /// an offset into x or dx), where its output-pixel row of `col` starts (`column`), and which
    /// output rows and columns read inside the image rather than the padding.
    struct Tap {
        var ki: Int
        var shift: Int
        var image: Int
        var column: Int
        var rows: Range<Int>
        var cols: Range<Int>
    }

    /// Runs `body` for every tap of every image in the tile, channels spread over the pool (a
    /// channel's taps all on one thread, so `foldAdding` never shares a dx plane between threads).
    @inline(__always)
    private static func forEachTap(_ geo: ConvGeometry, images: Int, compute: ComputePool, _ body: (Tap) -> Void) {
        let (H, W, Ho, Wo) = (geo.height, geo.width, geo.outHeight, geo.outWidth)
        let plane = geo.outPlane, ld = images * plane
        compute.parallelFor(geo.inChannels, grain: grain(geo, images)) { channels in
            for c in channels {
                for ki in 0..<geo.kernelH {
                    let rows = geo.validOutputs(tap: ki, outCount: Ho, inCount: H)
                    for kj in 0..<geo.kernelW {
                        let cols = geo.validOutputs(tap: kj, outCount: Wo, inCount: W)
                        let row = ((c * geo.kernelH + ki) * geo.kernelW + kj) * ld
                        for t in 0..<images {
                            body(Tap(ki: ki, shift: kj - geo.padding, image: (t * geo.inChannels + c) * geo.inPlane,
                                     column: row + t * plane, rows: rows, cols: cols))
                        }
                    }
                }
            }
        }
    }

    /// Channels per thread chunk: enough that waking a thread is worth it.
    private static func grain(_ geo: ConvGeometry, _ images: Int) -> Int {
        max(1, 16_384 / max(1, geo.kernelH * geo.kernelW * images * geo.outPlane))
    }
}
