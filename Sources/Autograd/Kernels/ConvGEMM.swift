import CBLAS

/// Convolution as im2col + GEMM (float32 or bfloat16, `Plan.precision`), with output channels on the GEMM's M side:
/// out[n] = W[O, K] · col[K, Ho·Wo]. Images are processed in tiles of T: one unfold fills the
/// columns of T images side by side, so a single GEMM is T·Ho·Wo wide (the late, small maps
/// would otherwise give narrow, slow GEMMs), while the workspace stays bounded whatever the
/// batch. For 1x1 stride-1 unpadded convs a lone image already is its column matrix and is used
/// as is; tiles of small images are copied side by side, which beats the narrow per-image GEMMs
/// (1.09x at 256→768 on 7x7 maps).
///
/// Buffers (legend of `ConvGeometry`): x, dx [N, C, H, W]; weight, dWeight [O, C, kh, kw] seen
/// as [O, K]; bias, dBias [O]; out, dOut [N, O, Ho, Wo]; workspace ≥ `Plan.workspaceCount` floats.
enum ConvGEMM {
    /// How the batch is cut into tiles, and the workspace that takes.
    struct Plan {
        /// GEMM width (columns) to reach by tiling. Measured: 49-pixel maps gain 1.3x from
        /// tiles of ~1000 columns; wider tiles only grow the workspace and spill the cache.
        static let targetWidth = 1024

        let geometry: ConvGeometry
        /// How the GEMMs multiply.
        let precision: MatrixPrecision
        /// T: as many images as it takes to reach the target width, as few as the limit allows.
        let imagesPerTile: Int
        /// Floats of workspace either pass needs, rounded up to a power of two so that convs of
        /// similar size share pooled buffers.
        let workspaceCount: Int

        init(_ geo: ConvGeometry, precision: MatrixPrecision = .float32, targetWidth: Int = Plan.targetWidth) {
            geometry = geo
            self.precision = precision
            let perImage = (geo.patchSize + geo.outChannels) * geo.outPlane
            let wide = (targetWidth + geo.outPlane - 1) / geo.outPlane
            let t = max(1, min(geo.batch, wide, ConvKernel.workspaceLimit / max(1, perImage)))
            imagesPerTile = t
            let need: Int
            if t > 1 {
                need = perImage * t          // columns [K, T·P] + product or gathered dOut [O, T·P]
            } else {
                need = geo.isPlainMatrixProduct ? 1 : geo.patchSize * geo.outPlane
            }
            workspaceCount = ConvKernel.workspaceCount(need)
        }
    }

    // MARK: - Forward

    /// out = weight ⋆ x + bias (overwrites `out`).
    static func forward(_ plan: Plan, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry, tile = plan.imagesPerTile
        let (O, K, P) = (geo.outChannels, geo.patchSize, geo.outPlane)
        for n0 in stride(from: 0, to: geo.batch, by: tile) {
            let t = min(tile, geo.batch - n0)
            let xTile = x + n0 * geo.inChannels * geo.inPlane
            let col = columns(geo, xTile, images: t, workspace: workspace, compute: compute)
            if t == 1 {
                // One image: the GEMM writes straight into its output planes, on top of the bias.
                let y = out + n0 * O * P
                if let bias { fillRows(y, bias, rows: O, width: P, compute: compute) }
                gemm(plan.precision, .none, .none, O, P, K, weight, K, col, P, bias == nil ? 0 : 1, y, P, compute)
            } else {
                // Several images: GEMM into [O, T·P], then scatter to NCHW adding the bias.
                let product = workspace + K * t * P
                gemm(plan.precision, .none, .none, O, t * P, K, weight, K, col, t * P, 0, product, t * P, compute)
                compute.parallelFor(t * O, grain: planeGrain(P)) { planes in
                    for q in planes {
                        let (j, o) = q.quotientAndRemainder(dividingBy: O)
                        let src = product + o * t * P + j * P
                        let dst = out + ((n0 + j) * O + o) * P
                        let b = bias?[o] ?? 0
                        for p in 0..<P { dst[p] = src[p] + b }
                    }
                }
            }
        }
    }

    // MARK: - Backward

    /// Adds into dx, dWeight and dBias (each optional) the gradients given dOut.
    /// dWeight accumulates straight from the GEMM (beta = 1), tile after tile.
    static func backward(_ plan: Plan, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         dOut: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                         workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry, tile = plan.imagesPerTile
        let (O, K, P, N) = (geo.outChannels, geo.patchSize, geo.outPlane, geo.batch)
        if let dBias { geo.addBiasGradient(dOut, into: dBias, compute: compute) }
        guard dWeight != nil || dx != nil else { return }
        for n0 in stride(from: 0, to: N, by: tile) {
            let t = min(tile, N - n0)
            let width = t * P
            // dOut of the tile as [O, T·P]: the image's own planes when alone, else gathered.
            let dY: UnsafePointer<Float>
            if t == 1 {
                dY = dOut + n0 * O * P
            } else {
                let gathered = workspace + K * width
                compute.parallelFor(t * O, grain: planeGrain(P)) { planes in
                    for q in planes {
                        let (j, o) = q.quotientAndRemainder(dividingBy: O)
                        (gathered + o * width + j * P).update(from: dOut + ((n0 + j) * O + o) * P, count: P)
                    }
                }
                dY = UnsafePointer(gathered)
            }
            let xTile = x + n0 * geo.inChannels * geo.inPlane
            if let dWeight {
                let col = columns(geo, xTile, images: t, workspace: workspace, compute: compute)
                gemm(plan.precision, .none, .transpose, O, K, width, dY, width, col, width, 1, dWeight, K, compute)
            }
            if let dx {
                let dxTile = dx + n0 * geo.inChannels * geo.inPlane
                if geo.isPlainMatrixProduct && t == 1 {
                    gemm(plan.precision, .transpose, .none, K, P, O, weight, K, dY, P, 1, dxTile, P, compute)
                } else {
                    // The columns are no longer needed: their buffer receives dcol = Wᵀ·dY.
                    gemm(plan.precision, .transpose, .none, K, width, O, weight, K, dY, width, 0, workspace, width, compute)
                    Im2col.foldAdding(geo, col: workspace, images: t, dx: dxTile, compute: compute)
                }
            }
        }
    }

    // MARK: - Helpers

    /// The column matrix [K, T·P] of a tile: the image itself for a lone image of a 1x1
    /// stride-1 unpadded conv, else unfolded into the workspace.
    private static func columns(_ geo: ConvGeometry, _ x: UnsafePointer<Float>, images: Int,
                                workspace: UnsafeMutablePointer<Float>, compute: ComputePool) -> UnsafePointer<Float> {
        if geo.isPlainMatrixProduct && images == 1 { return x }
        Im2col.unfold(geo, x: x, images: images, col: workspace, compute: compute)
        return UnsafePointer(workspace)
    }

    private static func fillRows(_ y: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>,
                                 rows: Int, width: Int, compute: ComputePool) {
        compute.parallelFor(rows, grain: planeGrain(width)) { r in
            for o in r { (y + o * width).update(repeating: values[o], count: width) }
        }
    }

    /// Planes per thread chunk for copy loops over planes of `plane` floats.
    private static func planeGrain(_ plane: Int) -> Int { max(1, 32_768 / max(1, plane)) }

    private enum Op { case none, transpose }

    /// Row-major C[M, N] = A·B (op applied) + beta·C, with leading dimensions as stored.
    private static func gemm(_ precision: MatrixPrecision, _ opA: Op, _ opB: Op, _ m: Int, _ n: Int, _ k: Int,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ compute: ComputePool) {
        matrixProduct(precision, transposeA: opA != .none, transposeB: opB != .none, m: m, n: n, k: k,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, compute: compute)
    }
}
