import CBLAS

/// 3x3 stride-1 convolution by Winograd's minimal filtering F(m x m, 3x3) (Lavin & Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016): each m x m block of outputs comes from
/// an α x α input tile (α = m + 2) with α² multiplies per (input, output) channel pair instead
/// of 9m². F(2x2, 3x3) needs 16 for 4 outputs (2.25x fewer), F(4x4, 3x3) 36 for 16 (4x fewer),
/// at the price of larger transforms and an fp32 error of a few 1e-6 relative (F(2x2) ~1e-7).
///
/// 1. V = G·g·Gᵀ for every 3x3 filter g (α² values per (o, c)).
/// 2. U = Bᵀ·d·B for every α x α input tile d (tiles overlap by 2; padding reads as zero).
/// 3. For each of the α² positions ξ, one GEMM: M_ξ[O, Q] = V_ξ[O, C] · U_ξ[C, Q].
/// 4. y = Aᵀ·m·A for every tile's α x α m: its m x m outputs (those past the edge are dropped).
/// Backward runs the transposes: dM = A·dy·Aᵀ; dV_ξ += dM_ξ·U_ξᵀ, then dg = Gᵀ·dV·G;
/// dU_ξ = V_ξᵀ·dM_ξ, then dd = B·dU·Bᵀ added into the overlapping input windows.
///
/// Buffers (legend of `ConvGeometry`; Q = tiles of a group of images rounded up to 8, E = α² elements,
/// ξ = α·row + column): x, dx [N, C, H, W]; weight, dWeight [O, C, 3, 3]; bias, dBias [O];
/// out, dOut [N, O, Ho, Wo]; workspace: V [E, O, C] | dV [E, O, C] | U [E, C, Q] | M [E, O, Q],
/// each of the E planes `planeStride` apart.
enum Winograd {
    static func supports(_ geo: ConvGeometry) -> Bool {
        geo.kernelH == 3 && geo.kernelW == 3 && geo.stride == 1
    }

    /// The output tile edge m (`EngineOptions.winogradTile`).
    typealias Tile = EngineOptions.WinogradTile

    struct Plan {
        /// Tiles per GEMM to reach (measured best around 512 on this machine).
        static let targetWidth = 512

        let geometry: ConvGeometry
        let tile: Tile
        /// Output tiles down and across one image: ⌈Ho/m⌉, ⌈Wo/m⌉.
        let tilesH: Int
        let tilesW: Int
        let imagesPerTile: Int
        let workspaceCount: Int
        var tilesPerImage: Int { tilesH * tilesW }
        /// Row length of the transformed planes for a group of `images`: its tiles rounded up
        /// to a multiple of 8, so the vectorised transforms work on whole vectors of 8 tiles.
        func pitch(images: Int) -> Int { (images * tilesPerImage + 7) / 8 * 8 }
        /// Output tile edge m, input tile edge α = m + 2, and the α² transform elements.
        var m: Int { tile.rawValue }
        var alpha: Int { tile.rawValue + 2 }
        var elements: Int { alpha * alpha }

        /// Row length and size of an input plane zero-padded to exactly cover every tile's
        /// window: (m·tilesH + 2) x (m·tilesW + 2), the image at offset (p, p).
        var paddedInput: (width: Int, count: Int) {
            (m * tilesW + 2, (m * tilesH + 2) * (m * tilesW + 2))
        }

        /// Copies plane x [H, W] into the padded scratch `d` (borders zero).
        func pad(_ x: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>) {
            let geo = geometry, (pw, count) = paddedInput, p = geo.padding
            let rows = min(geo.height, m * tilesH + 2 - p), cols = min(geo.width, pw - p)
            d.update(repeating: 0, count: count)
            for r in 0..<rows { (d + (r + p) * pw + p).update(from: x + r * geo.width, count: cols) }
        }

        /// dx [H, W] += the image part of padded scratch `d` (border sums fall on padding: dropped).
        func unpadAdding(_ d: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
            let geo = geometry, pw = paddedInput.width, p = geo.padding
            let rows = min(geo.height, m * tilesH + 2 - p), cols = min(geo.width, pw - p)
            for r in 0..<rows {
                let src = d + (r + p) * pw + p, dst = dx + r * geo.width
                for j in 0..<cols { dst[j] += src[j] }
            }
        }

        init(_ geo: ConvGeometry, tile: Tile, targetWidth: Int = Plan.targetWidth) {
            precondition(Winograd.supports(geo), "Winograd F(m x m, 3x3) needs a 3x3 stride-1 conv")
            geometry = geo
            self.tile = tile
            let m = tile.rawValue, e = (m + 2) * (m + 2)
            tilesH = (geo.outHeight + m - 1) / m
            tilesW = (geo.outWidth + m - 1) / m
            let tiles = tilesH * tilesW
            let perImage = e * (geo.inChannels + geo.outChannels) * tiles
            let wide = (targetWidth + tiles - 1) / tiles
            let t = max(1, min(geo.batch, wide, ConvKernel.workspaceLimit / max(1, perImage)))
            imagesPerTile = t
            let (C, O, q) = (geo.inChannels, geo.outChannels, (t * tiles + 7) / 8 * 8)
            let need = e * (2 * planeStride(O * C) + planeStride(C * q) + planeStride(O * q))
            workspaceCount = ConvKernel.workspaceCount(need)
        }
    }

    /// The distance between the planes of a transformed buffer holding `count` floats each:
    /// never a multiple of 4 KB, or the streams a transform reads or writes at once would all
    /// fall into one L1 set and evict each other (4K aliasing; 3x slower at 64x56x56).
    static func planeStride(_ count: Int) -> Int { (count + 1023) / 1024 * 1024 + 16 }

    // MARK: - Forward

    static func forward(_ plan: Plan, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let (C, O) = (geo.inChannels, geo.outChannels)
        let vs = planeStride(O * C), e = plan.elements
        let v = workspace, u = workspace + 2 * e * vs
        transformFilters(plan, weight, into: v, compute: compute)
        for n0 in stride(from: 0, to: geo.batch, by: plan.imagesPerTile) {
            let t = min(plan.imagesPerTile, geo.batch - n0)
            let q = t * plan.tilesPerImage, qp = plan.pitch(images: t)
            let (us, ms) = (planeStride(C * qp), planeStride(O * qp))
            let m = u + e * us
            transformInputs(plan, x + n0 * C * geo.inPlane, images: t, into: u, compute: compute)
            eachTransformElement(plan, compute) { xi in
                gemm(false, false, O, q, C, v + xi * vs, C, u + xi * us, qp, 0, m + xi * ms, qp)
            }
            transformOutputs(plan, m, images: t, bias: bias, into: out + n0 * O * geo.outPlane, compute: compute)
        }
    }

    // MARK: - Backward

    /// Adds into dx, dWeight and dBias (each optional) the gradients given dOut.
    static func backward(_ plan: Plan, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         dOut: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
                         workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let (C, O, P, N) = (geo.inChannels, geo.outChannels, geo.outPlane, geo.batch)
        if let dBias { geo.addBiasGradient(dOut, into: dBias, compute: compute) }
        guard dWeight != nil || dx != nil else { return }
        let vs = planeStride(O * C), e = plan.elements
        let v = workspace, dv = workspace + e * vs, u = workspace + 2 * e * vs
        if dx != nil { transformFilters(plan, weight, into: v, compute: compute) }
        if dWeight != nil { dv.update(repeating: 0, count: e * vs) }
        for n0 in stride(from: 0, to: N, by: plan.imagesPerTile) {
            let t = min(plan.imagesPerTile, N - n0)
            let q = t * plan.tilesPerImage, qp = plan.pitch(images: t)
            let (us, ms) = (planeStride(C * qp), planeStride(O * qp))
            let dm = u + e * us
            transformOutputGradients(plan, dOut + n0 * O * P, images: t, into: dm, compute: compute)
            if dWeight != nil {
                transformInputs(plan, x + n0 * C * geo.inPlane, images: t, into: u, compute: compute)
                eachTransformElement(plan, compute) { xi in
                    gemm(false, true, O, C, q, dm + xi * ms, qp, u + xi * us, qp, 1, dv + xi * vs, C)
                }
            }
            if let dx {
                // U is spent: its buffer receives dU_ξ = V_ξᵀ·dM_ξ.
                eachTransformElement(plan, compute) { xi in
                    gemm(true, false, C, q, O, v + xi * vs, C, dm + xi * ms, qp, 0, u + xi * us, qp)
                }
                transformInputGradients(plan, u, images: t, into: dx + n0 * C * geo.inPlane, compute: compute)
            }
        }
        if let dWeight { transformFilterGradients(plan, dv, into: dWeight, compute: compute) }
    }

    /// The independent products of a tile, one per transform element: spread over the pool's
    /// threads when each GEMM runs on one thread (`ComputePool.productBlocks` > 1), else in turn.
    private static func eachTransformElement(_ plan: Plan, _ compute: ComputePool, _ body: (Int) -> Void) {
        if compute.productBlocks > 1 {
            compute.parallelFor(plan.elements, grain: 1) { r in for xi in r { body(xi) } }
        } else {
            for xi in 0..<plan.elements { body(xi) }
        }
    }

    // MARK: - Transforms of the plan's tile size

    static func transformFilters(_ plan: Plan, _ weight: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>,
                                 compute: ComputePool) {
        switch plan.tile {
        case .f2x2: transformFiltersF2(plan.geometry, weight, into: v, compute: compute)
        case .f4x4: transformFiltersF4(plan.geometry, weight, into: v, compute: compute)
        }
    }

    static func transformFilterGradients(_ plan: Plan, _ dv: UnsafePointer<Float>,
                                         into dWeight: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch plan.tile {
        case .f2x2: transformFilterGradientsF2(plan.geometry, dv, into: dWeight, compute: compute)
        case .f4x4: transformFilterGradientsF4(plan.geometry, dv, into: dWeight, compute: compute)
        }
    }

    static func transformInputs(_ plan: Plan, _ x: UnsafePointer<Float>, images: Int,
                                into u: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch plan.tile {
        case .f2x2: transformInputsF2(plan, x, images: images, into: u, compute: compute)
        case .f4x4: transformInputsF4(plan, x, images: images, into: u, compute: compute)
        }
    }

    static func transformInputGradients(_ plan: Plan, _ du: UnsafeMutablePointer<Float>, images: Int,
                                        into dx: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch plan.tile {
        case .f2x2: transformInputGradientsF2(plan, du, images: images, into: dx, compute: compute)
        case .f4x4: transformInputGradientsF4(plan, du, images: images, into: dx, compute: compute)
        }
    }

    static func transformOutputs(_ plan: Plan, _ m: UnsafeMutablePointer<Float>, images: Int, bias: UnsafePointer<Float>?,
                                 into out: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch plan.tile {
        case .f2x2: transformOutputsF2(plan, m, images: images, bias: bias, into: out, compute: compute)
        case .f4x4: transformOutputsF4(plan, m, images: images, bias: bias, into: out, compute: compute)
        }
    }

    static func transformOutputGradients(_ plan: Plan, _ dOut: UnsafePointer<Float>, images: Int,
                                         into dm: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch plan.tile {
        case .f2x2: transformOutputGradientsF2(plan, dOut, images: images, into: dm, compute: compute)
        case .f4x4: transformOutputGradientsF4(plan, dOut, images: images, into: dm, compute: compute)
        }
    }

    /// Row-major C[M, N] = op(A)·op(B) + beta·C.
    private static func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

extension Winograd.Plan {
    /// Runs `body(image, channel, scratch)` for every (image, channel) plane of a group of
    /// `images` images with `channels` channels, spread over the pool; each thread reuses one
    /// scratch buffer of `count` floats (a padded plane or a few output rows).
    func forEachPlane(channels: Int, images: Int, scratch count: Int, compute: ComputePool,
                      _ body: (_ image: Int, _ channel: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        compute.parallelFor(channels * images, grain: 1) { planes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { buffer in
                for plane in planes {
                    let (image, channel) = plane.quotientAndRemainder(dividingBy: channels)
                    body(image, channel, buffer.baseAddress!)
                }
            }
        }
    }

    /// Runs `body` on every vector of eight tiles of every row of transformed planes at `base`
    /// (rows × pitch each, one row per channel), rows spread over the pool. `body` gets the
    /// position of the vector in element 0; element ξ of it is `ξ` plane strides further.
    func forEachTileVector(rows: Int, images: Int, of base: UnsafeMutablePointer<Float>, compute: ComputePool,
                           _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let q = pitch(images: images)
        compute.parallelFor(rows, grain: 1) { rowRange in
            for row in rowRange {
                var k = 0
                while k < q {
                    body(base + row * q + k)
                    k += 8
                }
            }
        }
    }

    /// Zeroes the padding past the last tile of `row` in the first `elements` planes at `base`,
    /// so the vector passes compute on zeros, not on whatever the workspace held.
    func zeroPadding(of base: UnsafeMutablePointer<Float>, row: Int, elements: Int, stride: Int, images: Int) {
        let q = pitch(images: images), tiles = images * tilesPerImage
        guard tiles < q else { return }
        for xi in 0..<elements { (base + xi * stride + row * q + tiles).update(repeating: 0, count: q - tiles) }
    }
}
