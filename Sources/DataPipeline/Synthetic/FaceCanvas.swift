import Imaging
import Foundation

/// RGB in 0…1. A plain struct rather than SIMD3 because generic SIMD arithmetic is very slow in
/// debug builds, and the tests draw hundreds of faces in debug.
struct Color: Sendable {
    var x: Double, y: Double, z: Double

    init(_ r: Double, _ g: Double, _ b: Double) { x = r; y = g; z = b }
    init(grey v: Double) { self.init(v, v, v) }

    static func + (a: Color, b: Color) -> Color { Color(a.x + b.x, a.y + b.y, a.z + b.z) }
    static func - (a: Color, b: Color) -> Color { Color(a.x - b.x, a.y - b.y, a.z - b.z) }
    static func * (a: Color, s: Double) -> Color { Color(a.x * s, a.y * s, a.z * s) }
    static func * (a: Color, b: Color) -> Color { Color(a.x * b.x, a.y * b.y, a.z * b.z) }
    static func += (a: inout Color, b: Color) { a = a + b }
}

/// A square float RGB raster that shapes are painted onto in face space. The pose (rotation about
/// the image centre, scale, shift) lives here, so the face is drawn once in its own upright
/// coordinates and comes out rotated, scaled and shifted without resampling.
///
/// Antialiasing: a shape's signed distance at the pixel centre, in pixels, gives its coverage
/// `clamp(0.5 − d/softness, 0, 1)`, a one-pixel ramp across the edge (wider for soft shapes).
struct FaceCanvas {
    let size: Int
    private(set) var pixels: [Double]
    let angle: Double
    let pixelsPerUnit: Double
    let origin: Vec2

    /// `scale` 1 maps face space −1…1 onto the whole image; `shift` is in image fractions.
    init(size: Int, angle: Double, scale: Double, shift: Vec2, background: Color) {
        self.size = size
        self.angle = angle
        self.pixelsPerUnit = scale * Double(size) / 2
        self.origin = Vec2(Double(size) / 2 + shift.x * Double(size), Double(size) / 2 + shift.y * Double(size))
        pixels = [Double](repeating: 0, count: size * size * 3)
        for i in 0..<(size * size) {
            pixels[3 * i] = background.x; pixels[3 * i + 1] = background.y; pixels[3 * i + 2] = background.z
        }
    }

    /// The face-space point under the centre of pixel (x, y).
    func facePoint(_ x: Int, _ y: Int) -> Vec2 {
        let d = Vec2(Double(x) + 0.5 - origin.x, Double(y) + 0.5 - origin.y) * (1 / pixelsPerUnit)
        return Shape2D.rotate(d, by: -angle)
    }

    func pixelPoint(_ p: Vec2) -> Vec2 {
        origin + Shape2D.rotate(p, by: angle) * pixelsPerUnit
    }

    /// Paints a shape: `distance` in face units (negative inside), `color` per face point.
    mutating func fill(_ box: FaceBox, opacity: Double = 1, softness: Double = 1,
                       color: (Vec2) -> Color, distance: (Vec2) -> Double) {
        guard opacity > 0 else { return }
        let corners = [box.min, box.max, Vec2(box.min.x, box.max.y), Vec2(box.max.x, box.min.y)].map(pixelPoint)
        let pad = softness + 1
        let x0 = max(0, Int((corners.map(\.x).min()! - pad).rounded(.down)))
        let x1 = min(size - 1, Int((corners.map(\.x).max()! + pad).rounded(.up)))
        let y0 = max(0, Int((corners.map(\.y).min()! - pad).rounded(.down)))
        let y1 = min(size - 1, Int((corners.map(\.y).max()! + pad).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let p = facePoint(x, y)
                let d = distance(p) * pixelsPerUnit
                let coverage = min(max(0.5 - d / softness, 0), 1) * opacity
                guard coverage > 0 else { continue }
                let c = color(p)
                let i = (y * size + x) * 3
                pixels[i] += (c.x - pixels[i]) * coverage
                pixels[i + 1] += (c.y - pixels[i + 1]) * coverage
                pixels[i + 2] += (c.z - pixels[i + 2]) * coverage
            }
        }
    }

    /// Same, one flat colour.
    mutating func fill(_ box: FaceBox, _ color: Color, opacity: Double = 1, softness: Double = 1,
                       distance: (Vec2) -> Double) {
        fill(box, opacity: opacity, softness: softness, color: { _ in color }, distance: distance)
    }

    /// Applies `transform(pixelCentre in 0…1 image coordinates, colour)` to every pixel
    /// (lighting, colour cast).
    mutating func mapPixels(_ transform: (Vec2, Color) -> Color) {
        for y in 0..<size {
            for x in 0..<size {
                let i = (y * size + x) * 3
                let c = transform(Vec2((Double(x) + 0.5) / Double(size), (Double(y) + 0.5) / Double(size)),
                                  Color(pixels[i], pixels[i + 1], pixels[i + 2]))
                pixels[i] = c.x; pixels[i + 1] = c.y; pixels[i + 2] = c.z
            }
        }
    }

    /// 3x3 box blur with weight `amount` (0 none, 1 full), edges clamped: a cheap out-of-focus look.
    mutating func blur(amount: Double) {
        guard amount > 0 else { return }
        let src = pixels
        for y in 0..<size {
            for x in 0..<size {
                for c in 0..<3 {
                    var s = 0.0
                    for dy in -1...1 {
                        for dx in -1...1 {
                            let xx = min(max(x + dx, 0), size - 1), yy = min(max(y + dy, 0), size - 1)
                            s += src[(yy * size + xx) * 3 + c]
                        }
                    }
                    let i = (y * size + x) * 3 + c
                    pixels[i] = src[i] + (s / 9 - src[i]) * amount
                }
            }
        }
    }

    /// Quantised to 8 bits with additive Gaussian noise of `noise` (0…1 units).
    func image(noise: Double, _ normal: () -> Double) -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        for i in 0..<pixels.count {
            let v = (pixels[i] + noise * normal()) * 255
            out[i] = UInt8(min(max(v.rounded(), 0), 255))
        }
        return RGBImage(width: size, height: size, pixels: out)
    }
}
