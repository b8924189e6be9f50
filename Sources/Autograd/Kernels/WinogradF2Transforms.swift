// The tile transforms of Winograd F(2x2, 3x3) and their transposes (see `Winograd` for the
// algorithm and the buffer layout). Index arithmetic in the per-tile loops is unchecked (&+, &*):
// the bounds are fixed by the plan, and overflow checks would stop the compiler vectorising.

extension Winograd {
    // MARK: - Filter transforms

    /// V[ξ, o, c] = (G·g·Gᵀ)[ξ] with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
    static func transformFiltersF2(_ geo: ConvGeometry, _ weight: UnsafePointer<Float>,
                                 into v: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let vs = planeStride(geo.outChannels * geo.inChannels)
        compute.parallelFor(geo.outChannels * geo.inChannels, grain: 1024) { pairs in
            for pair in pairs {
                let g = weight + pair * 9
                let out = v + pair
                // Rows of G·g, each then multiplied by Gᵀ: (a, b, c) ↦ (a, ½(a+b+c), ½(a−b+c), c).
                func row(_ i: Int, _ a: Float, _ b: Float, _ c: Float) {
                    out[4 * i * vs] = a
                    out[(4 * i + 1) * vs] = 0.5 * (a + b + c)
                    out[(4 * i + 2) * vs] = 0.5 * (a - b + c)
                    out[(4 * i + 3) * vs] = c
                }
                row(0, g[0], g[1], g[2])
                row(1, 0.5 * (g[0] + g[3] + g[6]), 0.5 * (g[1] + g[4] + g[7]), 0.5 * (g[2] + g[5] + g[8]))
                row(2, 0.5 * (g[0] - g[3] + g[6]), 0.5 * (g[1] - g[4] + g[7]), 0.5 * (g[2] - g[5] + g[8]))
                row(3, g[6], g[7], g[8])
            }
        }
    }

    /// dWeight[o, c] += Gᵀ·dV[·, o, c]·G (the transpose of `transformFiltersF2`).
    static func transformFilterGradientsF2(_ geo: ConvGeometry, _ dv: UnsafePointer<Float>,
                                         into dWeight: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let vs = planeStride(geo.outChannels * geo.inChannels)
        compute.parallelFor(geo.outChannels * geo.inChannels, grain: 1024) { pairs in
            for pair in pairs {
                let d = dv + pair
                // Gᵀ·v for a 4-vector v: (v0 + ½(v1+v2), ½(v1−v2), ½(v1+v2) + v3).
                func column(_ j: Int) -> (Float, Float, Float) {
                    let (a, b, c, e) = (d[j * vs], d[(4 + j) * vs], d[(8 + j) * vs], d[(12 + j) * vs])
                    return (a + 0.5 * (b + c), 0.5 * (b - c), 0.5 * (b + c) + e)
                }
                let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
                let g = dWeight + pair * 9
                func row(_ i: Int, _ a: Float, _ b: Float, _ c: Float, _ e: Float) {
                    g[3 * i] += a + 0.5 * (b + c)
                    g[3 * i + 1] += 0.5 * (b - c)
                    g[3 * i + 2] += 0.5 * (b + c) + e
                }
                row(0, c0.0, c1.0, c2.0, c3.0)
                row(1, c0.1, c1.1, c2.1, c3.1)
                row(2, c0.2, c1.2, c2.2, c3.2)
            }
        }
    }

    // MARK: - Input transforms

    /// U[ξ, c, tile] = (Bᵀ·d·B)[ξ] with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
    static func transformInputsF2(_ plan: Plan, _ x: UnsafePointer<Float>, images: Int,
                                into u: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let C = geo.inChannels
        let q = plan.pitch(images: images), us = planeStride(C * q)
        let (pw, padded) = plan.paddedInput
        plan.forEachPlane(channels: C, images: images, scratch: padded, compute: compute) { t, c, d in
            plan.pad(x + (t * C + c) * geo.inPlane, into: d)
            let out = u + c * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for tx in 0..<plan.tilesW {
                    let w = d + (2 &* ty &* pw &+ 2 &* tx)
                    // Bᵀ·d on each column, then each row of that times B; both map
                    // (v0, v1, v2, v3) to (v0 − v2, v1 + v2, v2 − v1, v1 − v3).
                    func column(_ j: Int) -> (Float, Float, Float, Float) {
                        let (a, b, c, e) = (w[j], w[pw &+ j], w[2 &* pw &+ j], w[3 &* pw &+ j])
                        return (a - c, b + c, c - b, b - e)
                    }
                    let (k0, k1, k2, k3) = (column(0), column(1), column(2), column(3))
                    let o = out + (ty &* plan.tilesW &+ tx)
                    func row(_ i: Int, _ a: Float, _ b: Float, _ c: Float, _ e: Float) {
                        o[4 &* i &* us] = a - c
                        o[(4 &* i &+ 1) &* us] = b + c
                        o[(4 &* i &+ 2) &* us] = c - b
                        o[(4 &* i &+ 3) &* us] = b - e
                    }
                    row(0, k0.0, k1.0, k2.0, k3.0)
                    row(1, k0.1, k1.1, k2.1, k3.1)
                    row(2, k0.2, k1.2, k2.2, k3.2)
                    row(3, k0.3, k1.3, k2.3, k3.3)
                }
            }
        }
    }

    /// dx += B·dU·Bᵀ over each tile's 4x4 input window (the transpose of `transformInputsF2`).
    /// Windows overlap, so each (image, channel) plane is summed in a padded scratch plane by
    /// one thread, then its interior added to dx.
    static func transformInputGradientsF2(_ plan: Plan, _ du: UnsafePointer<Float>, images: Int,
                                        into dx: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let C = geo.inChannels
        let q = plan.pitch(images: images), us = planeStride(C * q)
        let (pw, padded) = plan.paddedInput
        plan.forEachPlane(channels: C, images: images, scratch: padded, compute: compute) { t, c, d in
            d.update(repeating: 0, count: padded)
            let src = du + c * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for tx in 0..<plan.tilesW {
                    let g = src + (ty &* plan.tilesW &+ tx)
                    // Rows times Bᵀ, then B times each column; both map (v0, v1, v2, v3)
                    // to (v0, v1 − v2 + v3, −v0 + v1 + v2, −v3).
                    func row(_ i: Int) -> (Float, Float, Float, Float) {
                        let (a, b, c, e) = (g[4 &* i &* us], g[(4 &* i &+ 1) &* us],
                                            g[(4 &* i &+ 2) &* us], g[(4 &* i &+ 3) &* us])
                        return (a, b - c + e, -a + b + c, -e)
                    }
                    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
                    let w = d + (2 &* ty &* pw &+ 2 &* tx)
                    func add(_ j: Int, _ a: Float, _ b: Float, _ c: Float, _ e: Float) {
                        w[j] += a
                        w[pw &+ j] += b - c + e
                        w[2 &* pw &+ j] += -a + b + c
                        w[3 &* pw &+ j] -= e
                    }
                    add(0, r0.0, r1.0, r2.0, r3.0)
                    add(1, r0.1, r1.1, r2.1, r3.1)
                    add(2, r0.2, r1.2, r2.2, r3.2)
                    add(3, r0.3, r1.3, r2.3, r3.3)
                }
            }
            plan.unpadAdding(d, into: dx + (t * C + c) * geo.inPlane)
        }
    }

    // MARK: - Output transforms

    /// out = Aᵀ·m·A + bias for each tile, Aᵀ = [1 1 1 0; 0 1 −1 −1] (overwrites `out`).
    static func transformOutputsF2(_ plan: Plan, _ m: UnsafePointer<Float>, images: Int, bias: UnsafePointer<Float>?,
                                 into out: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let (O, Ho, Wo) = (geo.outChannels, geo.outHeight, geo.outWidth)
        let q = plan.pitch(images: images), ms = planeStride(O * q)
        // Full 2x2 blocks write straight into the output; an odd edge goes through a scratch row.
        let tw = 2 * plan.tilesW
        plan.forEachPlane(channels: O, images: images, scratch: 2 * tw, compute: compute) { t, o, rows in
            let dst = out + (t * O + o) * geo.outPlane
            let b = bias?[o] ?? 0
            let src = m + o * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for tx in 0..<plan.tilesW {
                    let g = src + (ty &* plan.tilesW &+ tx)
                    // Aᵀ·m on each column: (v0 + v1 + v2, v1 − v2 − v3); the same on each row.
                    func column(_ j: Int) -> (Float, Float) {
                        let (a, bb, c, e) = (g[j &* ms], g[(4 &+ j) &* ms], g[(8 &+ j) &* ms], g[(12 &+ j) &* ms])
                        return (a + bb + c, bb - c - e)
                    }
                    let (k0, k1, k2, k3) = (column(0), column(1), column(2), column(3))
                    let w = rows + 2 &* tx
                    w[0] = k0.0 + k1.0 + k2.0 + b
                    w[1] = k1.0 - k2.0 - k3.0 + b
                    w[tw] = k0.1 + k1.1 + k2.1 + b
                    w[tw &+ 1] = k1.1 - k2.1 - k3.1 + b
                }
                let r = 2 * ty
                (dst + r * Wo).update(from: rows, count: Wo)
                if r + 1 < Ho { (dst + (r + 1) * Wo).update(from: rows + tw, count: Wo) }
            }
        }
    }

    /// dM = A·dy·Aᵀ for each tile's 2x2 output gradients (zero past the edge), A·v = (v0, v0 + v1,
    /// v0 − v1, −v1): the transpose of `transformOutputsF2`.
    static func transformOutputGradientsF2(_ plan: Plan, _ dOut: UnsafePointer<Float>, images: Int,
                                         into dm: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let (O, Ho, Wo) = (geo.outChannels, geo.outHeight, geo.outWidth)
        let q = plan.pitch(images: images), ms = planeStride(O * q)
        let tw = 2 * plan.tilesW
        plan.forEachPlane(channels: O, images: images, scratch: 2 * tw, compute: compute) { t, o, rows in
            rows.update(repeating: 0, count: 2 * tw)  // past the right or bottom edge: zero
            let src = dOut + (t * O + o) * geo.outPlane
            let out = dm + o * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                let r = 2 * ty
                rows.update(from: src + r * Wo, count: Wo)
                if r + 1 < Ho {
                    (rows + tw).update(from: src + (r + 1) * Wo, count: Wo)
                } else {
                    (rows + tw).update(repeating: 0, count: Wo)
                }
                for tx in 0..<plan.tilesW {
                    let w = rows + 2 &* tx
                    let (g00, g01, g10, g11) = (w[0], w[1], w[tw], w[tw &+ 1])
                    let o = out + (ty &* plan.tilesW &+ tx)
                    // Rows of A·g, each (a, b) then times Aᵀ: (a, a + b, a − b, −b).
                    func row(_ i: Int, _ a: Float, _ b: Float) {
                        o[4 &* i &* ms] = a
                        o[(4 &* i &+ 1) &* ms] = a + b
                        o[(4 &* i &+ 2) &* ms] = a - b
                        o[(4 &* i &+ 3) &* ms] = -b
                    }
                    row(0, g00, g01)
                    row(1, g00 + g10, g01 + g11)
                    row(2, g00 - g10, g01 - g11)
                    row(3, -g10, -g11)
                }
            }
        }
    }
}
