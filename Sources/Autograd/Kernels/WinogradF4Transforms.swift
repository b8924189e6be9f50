// The tile transforms of Winograd F(4x4, 3x3) and their transposes (see `Winograd` for the
// algorithm and the buffer layout; ξ = 6·row + column over the 36 transform elements). The
// matrices are Lavin & Gray's, from the interpolation points 0, ±1, ±2 and ∞:
//
//   Bᵀ = [4  0 −5  0  1  0]    G = [ 1/4     0     0 ]    Aᵀ = [1  1  1  1  1  0]
//        [0 −4 −4  1  1  0]        [−1/6  −1/6  −1/6 ]         [0  1 −1  2 −2  0]
//        [0  4 −4 −1  1  0]        [−1/6   1/6  −1/6 ]         [0  1  1  4  4  0]
//        [0 −2 −1  2  1  0]        [1/24  1/12   1/6 ]         [0  1 −1  8 −8  1]
//        [0  2 −1 −2  1  0]        [1/24 −1/12   1/6 ]
//        [0  4  0 −5  0  1]        [ 0      0     1  ]
//
// Each transform of a tile is one 1-D map applied to the columns and then to the rows; the maps
// and their transposes are the `F4` functions below. Index arithmetic in the per-tile loops is
// unchecked (&+, &*): the bounds are fixed by the plan.

/// What the 1-D maps need of a lane type: Float for one tile, `SIMD8<Float>` for eight tiles
/// side by side (the vectorised passes).
protocol WinogradLane {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Float, b: Self) -> Self
    static prefix func - (a: Self) -> Self
}

extension Float: WinogradLane {}
extension SIMD8: WinogradLane where Scalar == Float {}

enum F4 {
    typealias Six<T> = (T, T, T, T, T, T)
    typealias Four<T> = (T, T, T, T)
    typealias Lanes = SIMD8<Float>

    /// Bᵀ·v.
    @inline(__always) static func bt<T: WinogradLane>(_ v: Six<T>) -> Six<T> {
        let s = v.4 - v.2, d = v.3 - v.1
        let r0: T = 4 * v.0 - 5 * v.2 + v.4
        let r1: T = v.3 + v.4 - 4 * (v.1 + v.2)
        let r2: T = 4 * (v.1 - v.2) + v.4 - v.3
        let r3: T = 2 * d + s
        let r4: T = s - 2 * d
        let r5: T = 4 * v.1 - 5 * v.3 + v.5
        return (r0, r1, r2, r3, r4, r5)
    }

    /// B·v (the transpose of `bt`).
    @inline(__always) static func b<T: WinogradLane>(_ v: Six<T>) -> Six<T> {
        let r0: T = 4 * v.0
        let r1: T = 4 * (v.2 - v.1 + v.5) + 2 * (v.4 - v.3)
        let r2: T = -(5 * v.0) - 4 * (v.1 + v.2) - v.3 - v.4
        let r3: T = v.1 - v.2 + 2 * (v.3 - v.4) - 5 * v.5
        let r4: T = v.0 + v.1 + v.2 + v.3 + v.4
        return (r0, r1, r2, r3, r4, v.5)
    }

    /// G·g for a 3-vector g.
    @inline(__always) static func g(_ a: Float, _ b: Float, _ c: Float) -> Six<Float> {
        let sixth: Float = 1.0 / 6, twelfth: Float = 1.0 / 12, twentyFourth: Float = 1.0 / 24
        return (0.25 * a,
                -sixth * (a + b + c),
                -sixth * (a - b + c),
                twentyFourth * a + twelfth * b + sixth * c,
                twentyFourth * a - twelfth * b + sixth * c,
                c)
    }

    /// Gᵀ·v (the transpose of `g`).
    @inline(__always) static func gt(_ v: Six<Float>) -> (Float, Float, Float) {
        let sixth: Float = 1.0 / 6, twelfth: Float = 1.0 / 12, twentyFourth: Float = 1.0 / 24
        return (0.25 * v.0 - sixth * (v.1 + v.2) + twentyFourth * (v.3 + v.4),
                sixth * (v.2 - v.1) + twelfth * (v.3 - v.4),
                sixth * (v.3 + v.4 - v.1 - v.2) + v.5)
    }

    /// Aᵀ·v.
    @inline(__always) static func at<T: WinogradLane>(_ v: Six<T>) -> Four<T> {
        let p = v.1 + v.2, m = v.1 - v.2, p34 = v.3 + v.4, m34 = v.3 - v.4
        let r0: T = v.0 + p + p34
        let r1: T = m + 2 * m34
        let r2: T = p + 4 * p34
        let r3: T = m + 8 * m34 + v.5
        return (r0, r1, r2, r3)
    }

    /// A·u for a 4-vector u (the transpose of `at`).
    @inline(__always) static func a<T: WinogradLane>(_ u: Four<T>) -> Six<T> {
        let r1: T = u.0 + u.1 + u.2 + u.3
        let r2: T = u.0 - u.1 + u.2 - u.3
        let r3: T = u.0 + 2 * u.1 + 4 * u.2 + 8 * u.3
        let r4: T = u.0 - 2 * u.1 + 4 * u.2 - 8 * u.3
        return (u.0, r1, r2, r3, r4, u.3)
    }

    @inline(__always) static func element<T>(_ t: Six<T>, _ k: Int) -> T {
        switch k {
        case 0: t.0
        case 1: t.1
        case 2: t.2
        case 3: t.3
        case 4: t.4
        default: t.5
        }
    }

    @inline(__always) static func element<T>(_ t: Four<T>, _ k: Int) -> T {
        switch k {
        case 0: t.0
        case 1: t.1
        case 2: t.2
        default: t.3
        }
    }

    /// Column k of a 6x6 matrix held as six rows.
    @inline(__always) static func column<T>(_ rows: (Six<T>, Six<T>, Six<T>, Six<T>, Six<T>, Six<T>), _ k: Int) -> Six<T> {
        (element(rows.0, k), element(rows.1, k), element(rows.2, k),
         element(rows.3, k), element(rows.4, k), element(rows.5, k))
    }

    /// Six vectors of eight consecutive floats, `step` apart.
    @inline(__always) static func loadLanes(_ p: UnsafePointer<Float>, _ step: Int) -> Six<Lanes> {
        func at(_ o: Int) -> Lanes { UnsafeRawPointer(p + o).loadUnaligned(as: Lanes.self) }
        return (at(0), at(step), at(2 &* step), at(3 &* step), at(4 &* step), at(5 &* step))
    }

    @inline(__always) static func storeLanes(_ v: Six<Lanes>, _ p: UnsafeMutablePointer<Float>, _ step: Int) {
        func put(_ x: Lanes, _ o: Int) { UnsafeMutableRawPointer(p + o).storeBytes(of: x, as: Lanes.self) }
        put(v.0, 0); put(v.1, step); put(v.2, 2 &* step); put(v.3, 3 &* step); put(v.4, 4 &* step); put(v.5, 5 &* step)
    }

    @inline(__always) static func storeLanes(_ v: Four<Lanes>, _ p: UnsafeMutablePointer<Float>, _ step: Int) {
        func put(_ x: Lanes, _ o: Int) { UnsafeMutableRawPointer(p + o).storeBytes(of: x, as: Lanes.self) }
        put(v.0, 0); put(v.1, step); put(v.2, 2 &* step); put(v.3, 3 &* step)
    }

    /// Six values `step` apart.
    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ step: Int) -> Six<Float> {
        (p[0], p[step], p[2 &* step], p[3 &* step], p[4 &* step], p[5 &* step])
    }

    @inline(__always) static func store(_ v: Six<Float>, _ p: UnsafeMutablePointer<Float>, _ step: Int) {
        p[0] = v.0; p[step] = v.1; p[2 &* step] = v.2
        p[3 &* step] = v.3; p[4 &* step] = v.4; p[5 &* step] = v.5
    }
}

extension Winograd {
    // MARK: - Filter transforms

    /// V[ξ, o, c] = (G·g·Gᵀ)[ξ].
    static func transformFiltersF4(_ geo: ConvGeometry, _ weight: UnsafePointer<Float>,
                                   into v: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let vs = planeStride(geo.outChannels * geo.inChannels)
        compute.parallelFor(geo.outChannels * geo.inChannels, grain: 512) { pairs in
            for pair in pairs {
                let w = weight + pair * 9
                // G·g column by column (three 6-vectors), then each of its six rows times Gᵀ.
                let c0 = F4.g(w[0], w[3], w[6]), c1 = F4.g(w[1], w[4], w[7]), c2 = F4.g(w[2], w[5], w[8])
                let out = v + pair
                for i in 0..<6 {
                    let row = F4.g(F4.element(c0, i), F4.element(c1, i), F4.element(c2, i))
                    F4.store(row, out + 6 &* i &* vs, vs)
                }
            }
        }
    }

    /// dWeight[o, c] += Gᵀ·dV[·, o, c]·G (the transpose of `transformFiltersF4`).
    static func transformFilterGradientsF4(_ geo: ConvGeometry, _ dv: UnsafePointer<Float>,
                                           into dWeight: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let vs = planeStride(geo.outChannels * geo.inChannels)
        compute.parallelFor(geo.outChannels * geo.inChannels, grain: 512) { pairs in
            for pair in pairs {
                let d = dv + pair
                // Each row of dV times G (3 values), then Gᵀ down each of the three columns.
                let r = (F4.gt(F4.load(d, vs)), F4.gt(F4.load(d + 6 &* vs, vs)), F4.gt(F4.load(d + 12 &* vs, vs)),
                         F4.gt(F4.load(d + 18 &* vs, vs)), F4.gt(F4.load(d + 24 &* vs, vs)),
                         F4.gt(F4.load(d + 30 &* vs, vs)))
                let k0 = F4.gt((r.0.0, r.1.0, r.2.0, r.3.0, r.4.0, r.5.0))
                let k1 = F4.gt((r.0.1, r.1.1, r.2.1, r.3.1, r.4.1, r.5.1))
                let k2 = F4.gt((r.0.2, r.1.2, r.2.2, r.3.2, r.4.2, r.5.2))
                let g = dWeight + pair * 9
                g[0] += k0.0; g[1] += k1.0; g[2] += k2.0
                g[3] += k0.1; g[4] += k1.1; g[5] += k2.1
                g[6] += k0.2; g[7] += k1.2; g[8] += k2.2
            }
        }
    }

    // MARK: - Input transforms

    /// U[ξ, c, tile] = (Bᵀ·d·B)[ξ] for every 6x6 input window d (windows 4 apart), in two passes:
    /// each window's 36 values are copied into the 36 planes as they are, then the transform runs
    /// in place on eight consecutive tiles per vector (the planes' rows are padded to whole
    /// vectors, `Plan.pitch`). One scalar pass did the arithmetic a tile at a time.
    static func transformInputsF4(_ plan: Plan, _ x: UnsafePointer<Float>, images: Int,
                                  into u: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let C = plan.geometry.inChannels
        let q = plan.pitch(images: images), us = planeStride(C * q)
        let (pw, padded) = plan.paddedInput
        plan.forEachPlane(channels: C, images: images, scratch: padded, compute: compute) { t, c, d in
            plan.pad(x + (t * C + c) * plan.geometry.inPlane, into: d)
            let out = u + c * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for tx in 0..<plan.tilesW {
                    let w = d + (4 &* ty &* pw &+ 4 &* tx)
                    let o = out + (ty &* plan.tilesW &+ tx)
                    for r in 0..<6 {
                        let row = w + r &* pw, dst = o + 6 &* r &* us
                        dst[0] = row[0]; dst[us] = row[1]; dst[2 &* us] = row[2]
                        dst[3 &* us] = row[3]; dst[4 &* us] = row[4]; dst[5 &* us] = row[5]
                    }
                }
            }
            if t == images - 1 { plan.zeroPadding(of: u, row: c, elements: 36, stride: us, images: images) }
        }
        plan.forEachTileVector(rows: C, images: images, of: u, compute: compute) { p in
            // Bᵀ down each column of the window (element ξ = 6·row + column), then each row times B.
            let col = (F4.bt(F4.loadLanes(p, 6 &* us)), F4.bt(F4.loadLanes(p + us, 6 &* us)),
                       F4.bt(F4.loadLanes(p + 2 &* us, 6 &* us)), F4.bt(F4.loadLanes(p + 3 &* us, 6 &* us)),
                       F4.bt(F4.loadLanes(p + 4 &* us, 6 &* us)), F4.bt(F4.loadLanes(p + 5 &* us, 6 &* us)))
            for i in 0..<6 {
                F4.storeLanes(F4.bt(F4.column(col, i)), p + 6 &* i &* us, us)
            }
        }
    }

    /// dx += B·dU·Bᵀ over each tile's 6x6 input window (the transpose of `transformInputsF4`),
    /// in two passes: B·dU·Bᵀ in place on eight tiles per vector, then each tile's 36 values
    /// added into its window of a padded scratch plane (windows overlap), whose interior goes to dx.
    /// `du` is consumed.
    static func transformInputGradientsF4(_ plan: Plan, _ du: UnsafeMutablePointer<Float>, images: Int,
                                          into dx: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let C = plan.geometry.inChannels
        let q = plan.pitch(images: images), us = planeStride(C * q)
        let (pw, padded) = plan.paddedInput
        plan.forEachTileVector(rows: C, images: images, of: du, compute: compute) { p in
            // Each row of dU times Bᵀ, then B down each column; column j lands in elements 6·r + j.
            let r = (F4.b(F4.loadLanes(p, us)), F4.b(F4.loadLanes(p + 6 &* us, us)),
                     F4.b(F4.loadLanes(p + 12 &* us, us)), F4.b(F4.loadLanes(p + 18 &* us, us)),
                     F4.b(F4.loadLanes(p + 24 &* us, us)), F4.b(F4.loadLanes(p + 30 &* us, us)))
            let columns = (F4.b(F4.column(r, 0)), F4.b(F4.column(r, 1)), F4.b(F4.column(r, 2)),
                           F4.b(F4.column(r, 3)), F4.b(F4.column(r, 4)), F4.b(F4.column(r, 5)))
            for j in 0..<6 {
                F4.storeLanes(F4.element(columns, j), p + j &* us, 6 &* us)
            }
        }
        plan.forEachPlane(channels: C, images: images, scratch: padded, compute: compute) { t, c, d in
            d.update(repeating: 0, count: padded)
            let src = du + c * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for tx in 0..<plan.tilesW {
                    let g = src + (ty &* plan.tilesW &+ tx)
                    let w = d + (4 &* ty &* pw &+ 4 &* tx)
                    for r in 0..<6 {
                        let row = w + r &* pw, from = g + 6 &* r &* us
                        row[0] += from[0]; row[1] += from[us]; row[2] += from[2 &* us]
                        row[3] += from[3 &* us]; row[4] += from[4 &* us]; row[5] += from[5 &* us]
                    }
                }
            }
            plan.unpadAdding(d, into: dx + (t * C + c) * plan.geometry.inPlane)
        }
    }

    // MARK: - Output transforms

    /// out = Aᵀ·m·A + bias for each tile (overwrites `out`), in two passes: Aᵀ·m·A in place on
    /// eight tiles per vector (the 4x4 result in elements 0–15, ξ = 4·row + column), then each
    /// tile's block copied into the output, cut at the edges. `m` is consumed.
    static func transformOutputsF4(_ plan: Plan, _ m: UnsafeMutablePointer<Float>, images: Int,
                                   bias: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
                                   compute: ComputePool) {
        let geo = plan.geometry
        let (O, Ho, Wo) = (geo.outChannels, geo.outHeight, geo.outWidth)
        let q = plan.pitch(images: images), ms = planeStride(O * q)
        plan.forEachTileVector(rows: O, images: images, of: m, compute: compute) { p in
            // Aᵀ down each column (six 4-vectors), then each of the four rows times A.
            let col = (F4.at(F4.loadLanes(p, 6 &* ms)), F4.at(F4.loadLanes(p + ms, 6 &* ms)),
                       F4.at(F4.loadLanes(p + 2 &* ms, 6 &* ms)), F4.at(F4.loadLanes(p + 3 &* ms, 6 &* ms)),
                       F4.at(F4.loadLanes(p + 4 &* ms, 6 &* ms)), F4.at(F4.loadLanes(p + 5 &* ms, 6 &* ms)))
            for i in 0..<4 {
                let y = F4.at((F4.element(col.0, i), F4.element(col.1, i), F4.element(col.2, i),
                               F4.element(col.3, i), F4.element(col.4, i), F4.element(col.5, i)))
                F4.storeLanes(y, p + 4 &* i &* ms, ms)
            }
        }
        // Four output rows of a tile row are built in scratch, then copied (cut at the edges).
        let tw = 4 * plan.tilesW
        plan.forEachPlane(channels: O, images: images, scratch: 4 * tw, compute: compute) { t, o, rows in
            let dst = out + (t * O + o) * geo.outPlane
            let bv = bias?[o] ?? 0
            let src = m + o * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for tx in 0..<plan.tilesW {
                    let g = src + (ty &* plan.tilesW &+ tx)
                    let w = rows + 4 &* tx
                    for i in 0..<4 {
                        let r = w + i &* tw, from = g + 4 &* i &* ms
                        r[0] = from[0] + bv; r[1] = from[ms] + bv; r[2] = from[2 &* ms] + bv; r[3] = from[3 &* ms] + bv
                    }
                }
                for i in 0..<min(4, Ho - 4 * ty) {
                    (dst + (4 * ty + i) * Wo).update(from: rows + i * tw, count: Wo)
                }
            }
        }
    }

    /// dM = A·dy·Aᵀ for each tile's 4x4 output gradients (zero past the edge): the transpose of
    /// `transformOutputsF4`, in two passes: each tile's 4x4 block copied into elements 0–15,
    /// then A·g·Aᵀ in place on eight tiles per vector into all 36.
    static func transformOutputGradientsF4(_ plan: Plan, _ dOut: UnsafePointer<Float>, images: Int,
                                           into dm: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let geo = plan.geometry
        let (O, Ho, Wo) = (geo.outChannels, geo.outHeight, geo.outWidth)
        let q = plan.pitch(images: images), ms = planeStride(O * q)
        let tw = 4 * plan.tilesW
        plan.forEachPlane(channels: O, images: images, scratch: 4 * tw, compute: compute) { t, o, rows in
            rows.update(repeating: 0, count: 4 * tw)  // past the right or bottom edge: zero
            let src = dOut + (t * O + o) * geo.outPlane
            let out = dm + o * q + t * plan.tilesPerImage
            for ty in 0..<plan.tilesH {
                for i in 0..<4 {
                    let r = 4 * ty + i
                    if r < Ho {
                        (rows + i * tw).update(from: src + r * Wo, count: Wo)
                    } else {
                        (rows + i * tw).update(repeating: 0, count: Wo)
                    }
                }
                for tx in 0..<plan.tilesW {
                    let w = rows + 4 &* tx
                    let o = out + (ty &* plan.tilesW &+ tx)
                    for i in 0..<4 {
                        let r = w + i &* tw, to = o + 4 &* i &* ms
                        to[0] = r[0]; to[ms] = r[1]; to[2 &* ms] = r[2]; to[3 &* ms] = r[3]
                    }
                }
            }
            if t == images - 1 { plan.zeroPadding(of: dm, row: o, elements: 16, stride: ms, images: images) }
        }
        plan.forEachTileVector(rows: O, images: images, of: dm, compute: compute) { p in
            func load(_ i: Int) -> F4.Four<F4.Lanes> {
                func at(_ j: Int) -> F4.Lanes { UnsafeRawPointer(p + (4 &* i &+ j) &* ms).loadUnaligned(as: F4.Lanes.self) }
                return (at(0), at(1), at(2), at(3))
            }
            let g = (load(0), load(1), load(2), load(3))
            // A times each column of the 4x4 block, then each of the six rows times Aᵀ.
            let col = (F4.a((g.0.0, g.1.0, g.2.0, g.3.0)), F4.a((g.0.1, g.1.1, g.2.1, g.3.1)),
                       F4.a((g.0.2, g.1.2, g.2.2, g.3.2)), F4.a((g.0.3, g.1.3, g.2.3, g.3.3)))
            for i in 0..<6 {
                let v = F4.a((F4.element(col.0, i), F4.element(col.1, i), F4.element(col.2, i),
                              F4.element(col.3, i)))
                F4.storeLanes(v, p + 6 &* i &* ms, ms)
            }
        }
    }
}
