import Imaging
import Autograd
import Foundation

/// Draws one synthetic face, back to front: background, shoulders, hair behind the head, ears,
/// the face oval with shading, cheeks, eyes, brows, nose, mouth, hair in front, occlusions;
/// then light, colour cast, blur and sensor noise over the whole frame. Every shape is a signed
/// distance in face space painted with a soft edge (see `FaceCanvas`).
struct FaceRenderer {
    let face: FaceParameters

    /// Centre of the face oval.
    let center = Vec2(0, 0.06)
    /// Sideways shift of the inner features from the head turn.
    var yawShift: Double { face.yaw * 0.06 }
    var id: FaceParameters.Identity { face.identity }
    var m: FaceMovement { face.movement }

    static func render(_ face: FaceParameters, size: Int, _ rng: inout SeededRNG) -> RGBImage {
        let r = FaceRenderer(face: face)
        var canvas = FaceCanvas(size: size, angle: face.angle, scale: face.scale, shift: face.shift,
                                background: face.background.top)
        r.drawBackground(&canvas, &rng)
        r.drawBody(&canvas)
        if face.identity.hairStyle == .long { r.drawHairBehind(&canvas) }
        r.drawEars(&canvas)
        r.drawFace(&canvas)
        r.drawCheeks(&canvas)
        r.drawEyes(&canvas)
        r.drawBrows(&canvas)
        r.drawNose(&canvas)
        r.drawMouth(&canvas)
        r.drawHairFront(&canvas)
        if face.occlusion.strands { r.drawStrands(&canvas) }
        if face.occlusion.glasses { r.drawGlasses(&canvas) }
        if let hand = face.occlusion.hand { r.drawHand(&canvas, side: hand.side, y: hand.y, angle: hand.angle) }
        r.applyLight(&canvas)
        canvas.blur(amount: face.blur)
        return canvas.image(noise: face.noise) { Double(rng.nextNormal()) }
    }

    // MARK: - Scene

    private func drawBackground(_ canvas: inout FaceCanvas, _ rng: inout SeededRNG) {
        let top = face.background.top, bottom = face.background.bottom
        canvas.mapPixels { p, _ in top + (bottom - top) * p.y }
        // A few large out-of-focus blobs, like a room behind the person.
        for _ in 0..<3 {
            let c = Vec2(rng.uniformDouble(-1.4, 1.4), rng.uniformDouble(-1.4, 1.0))
            let r = rng.uniformDouble(0.2, 0.6)
            let tint = top * rng.uniformDouble(0.6, 1.4)
            canvas.fill(FaceBox(center: c, radius: Vec2(r, r)), tint, opacity: 0.35,
                        softness: Double(canvas.size) * 0.08) { Shape2D.circle($0, center: c, radius: r) }
        }
    }

    private func drawBody(_ canvas: inout FaceCanvas) {
        let clothes = face.clothes
        let neckColor = id.skin * 0.78
        let neck = Vec2(yawShift * 0.5, 0.95)
        canvas.fill(FaceBox(center: neck, radius: Vec2(0.3, 0.45)), color: { p in
            neckColor * (1 - 0.25 * min(1, max(0, (0.8 - p.y) * 3)))  // shadow under the chin
        }) { Shape2D.roundedBox($0, center: neck, halfSize: Vec2(id.faceWidth * 0.42, 0.4), cornerRadius: 0.08) }
        let shoulders = Vec2(0, 1.55)
        canvas.fill(FaceBox(center: shoulders, radius: Vec2(1.3, 0.7)), color: { p in
            clothes * (0.8 + 0.2 * (1 - abs(p.x)))
        }) { Shape2D.ellipse($0, center: shoulders, radii: Vec2(1.2, 0.62)) }
    }

    private func drawHairBehind(_ canvas: inout FaceCanvas) {
        let hair = id.hair * 0.8
        let w = id.faceWidth + 0.15
        let head = center
        canvas.fill(FaceBox(min: Vec2(-w - 0.1, -1), max: Vec2(w + 0.1, 1.2)), color: { p in
            hair * (0.93 + 0.07 * sin(p.x * 70 + 5 * sin(p.y * 6)))
        }) { p in
            let cap = Shape2D.ellipse(p, center: head, radii: Vec2(w, id.faceHeight + 0.12))
            let fall = Shape2D.roundedBox(p, center: Vec2(0, 0.55), halfSize: Vec2(w - 0.02, 0.55), cornerRadius: 0.15)
            return min(cap, fall)
        }
    }

    private func drawEars(_ canvas: inout FaceCanvas) {
        for side in [-1.0, 1.0] {
            let c = Vec2(side * (id.faceWidth - 0.01) + yawShift * 0.3, id.eyeY + 0.1)
            canvas.fill(FaceBox(center: c, radius: Vec2(0.1, 0.16)), id.skin * 0.88) {
                Shape2D.ellipse($0, center: c, radii: Vec2(0.075, 0.13))
            }
            let inner = c + Vec2(side * 0.015, 0)
            canvas.fill(FaceBox(center: inner, radius: Vec2(0.06, 0.1)), id.skin * 0.65, opacity: 0.6, softness: 2) {
                Shape2D.ellipse($0, center: inner, radii: Vec2(0.03, 0.08))
            }
        }
    }

    /// The face oval, narrowing towards the chin by `jaw`.
    func faceShape(_ p: Vec2) -> Double {
        Shape2D.implicitDistance(p) { q in
            let v = (q.y - center.y) / id.faceHeight
            let narrowing = v > 0 ? 1 - id.jaw * 0.38 * v * v : 1 - 0.1 * v * v
            let x = q.x / (id.faceWidth * narrowing)
            return (x * x + v * v).squareRoot() - 1
        }
    }

    private func drawFace(_ canvas: inout FaceCanvas) {
        let skin = id.skin, w = id.faceWidth, h = id.faceHeight, c = center
        canvas.fill(FaceBox(center: c, radius: Vec2(w + 0.05, h + 0.05)), color: { p in
            // Rounded shading: darker towards the rim, a little lighter on forehead and cheekbones.
            let x = p.x / w, v = (p.y - c.y) / h
            let rim = min(1, x * x + v * v)
            return skin * (1.04 - 0.28 * rim * rim)
        }) { faceShape($0) }
    }

    private func drawCheeks(_ canvas: inout FaceCanvas) {
        let raise = max(0, m.cheekRaise)
        for side in [-1.0, 1.0] {
            let c = Vec2(side * (id.eyeSpacing + 0.03) + yawShift, id.eyeY + 0.27 - raise * 0.06)
            let blush = id.skin * Color(1.02, 0.82, 0.8)
            canvas.fill(FaceBox(center: c, radius: Vec2(0.16, 0.12)), blush, opacity: 0.25 + 0.25 * raise,
                        softness: Double(canvas.size) * 0.05) { Shape2D.ellipse($0, center: c, radii: Vec2(0.11, 0.07)) }
            if raise > 0.2 {
                let hi = c + Vec2(0, -0.03)
                canvas.fill(FaceBox(center: hi, radius: Vec2(0.12, 0.08)), id.skin * 1.12, opacity: 0.3 * raise,
                            softness: Double(canvas.size) * 0.04) { Shape2D.ellipse($0, center: hi, radii: Vec2(0.08, 0.045)) }
            }
        }
    }

    private func drawHairFront(_ canvas: inout FaceCanvas) {
        let style = id.hairStyle
        let w = id.faceWidth, head = center
        let hairline = style == .fringe ? id.browY - 0.05 : id.hairline
        let hair = id.hair
        let opacity = style == .shaved ? 0.45 : 1.0
        canvas.fill(FaceBox(min: Vec2(-w - 0.15, -1.2), max: Vec2(w + 0.15, 0.4)), opacity: opacity, color: { p in
            let strands: Double = 0.08 * sin(p.x * 75 + 4 * sin(p.y * 9))
            let crown: Double = 0.12 * max(0, -p.y - 0.6)
            return hair * (0.92 + strands - crown)
        }) { p in
            let outer = Shape2D.ellipse(p, center: head + Vec2(0, -0.03), radii: Vec2(w + 0.07, id.faceHeight + 0.1))
            let xn = p.x / w
            var line = hairline + 0.16 * xn * xn
            if style == .fringe { line += 0.015 * sin(p.x * 38) }
            var d = max(outer, p.y - line)
            if style == .long {
                // Locks down the sides of the face to the jaw.
                let side = max(outer, (w * 0.84) - abs(p.x) + 0.08 * max(0, p.y), p.y - (id.eyeY + 0.35))
                d = min(d, side)
            }
            return d
        }
    }

    // MARK: - Light and camera

    private func applyLight(_ canvas: inout FaceCanvas) {
        let dir = face.lightDirection, strength = face.lightStrength, exposure = face.exposure, cast = face.colorCast
        canvas.mapPixels { p, c in
            let q = Vec2(p.x - 0.5, p.y - 0.5)
            let light = 1 + strength * 2 * q.dot(dir)
            let vignette = 1 - 0.25 * q.dot(q)
            return c * cast * (exposure * light * vignette)
        }
    }
}
