import Foundation

/// A point or vector in face space (x right, y down; the unposed image spans −1…1).
struct Vec2: Sendable {
    var x: Double
    var y: Double

    init(_ x: Double, _ y: Double) { self.x = x; self.y = y }

    static func + (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x + b.x, a.y + b.y) }
    static func - (a: Vec2, b: Vec2) -> Vec2 { Vec2(a.x - b.x, a.y - b.y) }
    static func * (a: Vec2, s: Double) -> Vec2 { Vec2(a.x * s, a.y * s) }
    var length: Double { (x * x + y * y).squareRoot() }
    func dot(_ o: Vec2) -> Double { x * o.x + y * o.y }
}

/// An axis-aligned box in face space: where a shape can be non-empty, so painting only visits
/// those pixels.
struct FaceBox: Sendable {
    var min: Vec2
    var max: Vec2

    init(min: Vec2, max: Vec2) { self.min = min; self.max = max }
    init(center c: Vec2, radius r: Vec2) { self.init(min: c - r, max: c + r) }

    func padded(_ p: Double) -> FaceBox { FaceBox(min: min - Vec2(p, p), max: max + Vec2(p, p)) }
}

/// Signed distance functions (negative inside) for the shapes a face is drawn from. Exact where
/// cheap (circle, segment, rounded box), first-order estimates elsewhere (ellipse, regions
/// between curves) — good to a fraction of a pixel near the edge, which is all antialiasing needs.
enum Shape2D {
    static func circle(_ p: Vec2, center c: Vec2, radius r: Double) -> Double {
        (p - c).length - r
    }

    /// Inigo Quilez's ellipse estimate: k0·(k0 − 1)/k1 with k0 = |q/r|, k1 = |q/r²|.
    static func ellipse(_ p: Vec2, center c: Vec2, radii r: Vec2, angle: Double = 0) -> Double {
        var q = p - c
        if angle != 0 { q = rotate(q, by: -angle) }
        let k0 = Vec2(q.x / r.x, q.y / r.y).length
        let k1 = Vec2(q.x / (r.x * r.x), q.y / (r.y * r.y)).length
        guard k1 > 1e-12 else { return -min(r.x, r.y) }
        return k0 * (k0 - 1) / k1
    }

    static func segment(_ p: Vec2, _ a: Vec2, _ b: Vec2) -> (distance: Double, t: Double) {
        let ab = b - a, ap = p - a
        let len2 = ab.dot(ab)
        let t = len2 > 0 ? Swift.max(0, Swift.min(1, ap.dot(ab) / len2)) : 0
        return ((ap - ab * t).length, t)
    }

    static func roundedBox(_ p: Vec2, center c: Vec2, halfSize h: Vec2, cornerRadius r: Double) -> Double {
        let q = Vec2(abs(p.x - c.x) - h.x + r, abs(p.y - c.y) - h.y + r)
        let outside = Vec2(Swift.max(q.x, 0), Swift.max(q.y, 0)).length
        return outside + Swift.min(Swift.max(q.x, q.y), 0) - r
    }

    static func rotate(_ v: Vec2, by angle: Double) -> Vec2 {
        let c = cos(angle), s = sin(angle)
        return Vec2(c * v.x - s * v.y, s * v.x + c * v.y)
    }

    /// Distance to a quadratic Bézier stroke whose half-width varies along it (`halfWidth(t)`),
    /// measured on a 16-segment polyline.
    static func taperedCurve(_ p: Vec2, _ a: Vec2, _ control: Vec2, _ b: Vec2, halfWidth: (Double) -> Double) -> Double {
        let n = 16
        var best = Double.infinity
        var previous = a
        for i in 1...n {
            let t = Double(i) / Double(n)
            let point = bezier(a, control, b, t)
            let (d, local) = segment(p, previous, point)
            let tt = (Double(i - 1) + local) / Double(n)
            best = Swift.min(best, d - halfWidth(tt))
            previous = point
        }
        return best
    }

    static func bezier(_ a: Vec2, _ c: Vec2, _ b: Vec2, _ t: Double) -> Vec2 {
        let u = 1 - t
        return a * (u * u) + c * (2 * u * t) + b * (t * t)
    }

    /// Turns an implicit function (negative inside, any scale) into a distance estimate
    /// f / |∇f| by central differences.
    static func implicitDistance(_ p: Vec2, step h: Double = 1e-3, _ f: (Vec2) -> Double) -> Double {
        let v = f(p)
        let gx = (f(Vec2(p.x + h, p.y)) - f(Vec2(p.x - h, p.y))) / (2 * h)
        let gy = (f(Vec2(p.x, p.y + h)) - f(Vec2(p.x, p.y - h))) / (2 * h)
        let g = (gx * gx + gy * gy).squareRoot()
        return g > 1e-9 ? v / g : v
    }
}
