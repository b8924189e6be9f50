/// Sums over one contiguous plane of floats, in SIMD lanes: a plain scalar loop is a chain of
/// dependent adds (one per add latency) that the compiler may not reorder, 8–16x slower.
/// Lane sums are added at the end, so results differ from a sequential sum by rounding only.
enum PlaneReductions {
    typealias Lanes = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> Lanes {
        UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self)
    }

    /// Σ p[i].
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Lanes(), i = 0
        while i + Lanes.scalarCount <= n {
            acc += load(p, i)
            i += Lanes.scalarCount
        }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ (p[i] − mean)².
    static func squaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Float {
        var acc = Lanes(), i = 0
        let m = Lanes(repeating: mean)
        while i + Lanes.scalarCount <= n {
            let d = load(p, i) - m
            acc += d * d
            i += Lanes.scalarCount
        }
        var s = acc.sum()
        while i < n { s += (p[i] - mean) * (p[i] - mean); i += 1 }
        return s
    }

    /// (Σ g[i], Σ g[i]·(x[i] − mean)).
    static func sumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
                                  mean: Float) -> (Float, Float) {
        var a = Lanes(), d = Lanes(), i = 0
        let m = Lanes(repeating: mean)
        while i + Lanes.scalarCount <= n {
            let gv = load(g, i)
            a += gv
            d += gv * (load(x, i) - m)
            i += Lanes.scalarCount
        }
        var (sa, sd) = (a.sum(), d.sum())
        while i < n { sa += g[i]; sd += g[i] * (x[i] - mean); i += 1 }
        return (sa, sd)
    }
}
