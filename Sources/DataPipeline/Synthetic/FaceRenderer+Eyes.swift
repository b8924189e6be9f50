import Foundation

/// Eyes and brows: the features that separate surprise/fear (wide eyes, raised brows) from
/// anger/disgust (narrowed eyes, lowered brows) and sadness (inner brow ends up).
extension FaceRenderer {
    /// The eye opening as two lid curves over −1…1 of the eye's width.
    struct EyeShape {
        let center: Vec2
        let halfWidth: Double
        let halfHeight: Double
        let open: Double
        let side: Double          // −1 left of the image, +1 right
        let droop: Double         // + outer upper lid down, − inner upper lid down
        let lowerRaise: Double

        func u(_ x: Double) -> Double { (x - center.x) / halfWidth }

        func upper(_ x: Double) -> Double {
            let t = max(-1, min(1, u(x)))
            let bell = pow(max(0, 1 - t * t), 0.85)
            let outer = max(0, side * t), inner = max(0, -side * t)
            // The lid's highest point sits a little towards the nose, as on real eyes.
            var y = center.y - halfHeight * open * bell * (1 + 0.12 * inner - 0.08 * outer)
            y += halfHeight * 0.7 * max(0, droop) * outer * bell
            y += halfHeight * 0.7 * max(0, -droop) * inner * bell
            return y
        }

        func lower(_ x: Double) -> Double {
            let t = max(-1, min(1, u(x)))
            let bell = pow(max(0, 1 - t * t), 0.9)
            let raised = center.y + halfHeight * (0.65 - 0.5 * lowerRaise) * bell * max(0.35, min(open, 1.2))
            return max(raised, upper(x) + 0.002)
        }

        /// Negative inside the opening.
        func distance(_ p: Vec2) -> Double {
            Shape2D.implicitDistance(p) { q in
                max(abs(q.x - center.x) - halfWidth, upper(q.x) - q.y, q.y - lower(q.x))
            }
        }
    }

    func eyeShape(side: Double) -> EyeShape {
        EyeShape(center: Vec2(side * id.eyeSpacing + yawShift, id.eyeY),
                 halfWidth: id.eyeWidth, halfHeight: id.eyeHeight,
                 open: max(0.1, min(1.9, 1 + 0.95 * m.eyeOpen)), side: side,
                 droop: m.upperLidDroop, lowerRaise: max(0, m.lowerLidRaise))
    }

    func drawEyes(_ canvas: inout FaceCanvas) {
        for side in [-1.0, 1.0] {
            let eye = eyeShape(side: side)
            let c = eye.center, ew = eye.halfWidth, eh = eye.halfHeight
            // Socket shadow.
            canvas.fill(FaceBox(center: c, radius: Vec2(ew * 2, eh * 4)), id.skin * 0.72, opacity: 0.35,
                        softness: Double(canvas.size) * 0.04) {
                Shape2D.ellipse($0, center: c + Vec2(0, -eh * 0.5), radii: Vec2(ew * 1.25, eh * 1.9))
            }
            let box = FaceBox(center: c, radius: Vec2(ew * 1.1, eh * 2.4))
            // White, shaded under the upper lid.
            let sclera = Color(0.93, 0.91, 0.88) * 0.85 + id.skin * 0.15
            canvas.fill(box, color: { p in
                let depth = max(0, min(1, (p.y - eye.upper(p.x)) / (eh * 0.8)))
                return sclera * (0.72 + 0.28 * depth)
            }) { eye.distance($0) }
            // Iris and pupil, cut by the lids.
            let irisCenter = c + Vec2(face.gaze.x * ew * 0.35, face.gaze.y * eh * 0.3 + eh * 0.05)
            let irisRadius = min(eh * 1.15, ew * 0.55)
            let iris = id.iris
            canvas.fill(box, color: { p in
                let r = (p - irisCenter).length / irisRadius
                return iris * (0.6 + 0.5 * r)
            }) { max(Shape2D.circle($0, center: irisCenter, radius: irisRadius), eye.distance($0)) }
            canvas.fill(box, Color(0.03, 0.02, 0.02)) {
                max(Shape2D.circle($0, center: irisCenter, radius: irisRadius * 0.45), eye.distance($0))
            }
            let glint = irisCenter + Vec2(-irisRadius * 0.35, -irisRadius * 0.35)
            canvas.fill(box, Color(1, 1, 1), opacity: 0.8) {
                max(Shape2D.circle($0, center: glint, radius: irisRadius * 0.2), eye.distance($0))
            }
            // Lash line along the upper lid, a fainter lower lid, and the lid crease above.
            let lash = id.hair * 0.4 + Color(0.04, 0.03, 0.03)
            canvas.fill(box.padded(0.02), lash) { p in
                let t = eye.u(p.x)
                let half = 0.009 * (1 - 0.4 * t * t) + 0.004
                return max(abs(p.y - eye.upper(p.x)) - half, abs(p.x - c.x) - ew * 1.06)
            }
            canvas.fill(box, id.skin * 0.55, opacity: 0.45) { p in
                max(abs(p.y - eye.lower(p.x)) - 0.004, abs(p.x - c.x) - ew * 0.95)
            }
            let creaseLift = eh * (0.55 + 0.25 * max(0, eye.open - 1))
            canvas.fill(box.padded(0.04), id.skin * 0.6, opacity: 0.45, softness: 1.5) { p in
                let t = eye.u(p.x)
                let y = c.y - eh * max(eye.open, 0.6) * pow(max(0, 1 - t * t), 0.8) - creaseLift
                return max(abs(p.y - y) - 0.005, abs(p.x - c.x) - ew * 0.9)
            }
        }
    }

    func drawBrows(_ canvas: inout FaceCanvas) {
        let raise = m.browRaise, inner = m.browInnerRaise, squeeze = max(0, m.browSqueeze), arch = max(0, m.browArch)
        let color = id.hair * 0.75 + Color(0.02, 0.015, 0.01)
        for side in [-1.0, 1.0] {
            let ex = side * id.eyeSpacing + yawShift
            let innerEnd = Vec2(ex - side * (id.browLength * 0.6 + squeeze * 0.035),
                                id.browY - raise * 0.1 - inner * 0.08 + squeeze * 0.015)
            let outerEnd = Vec2(ex + side * id.browLength * 0.55,
                                id.browY - raise * 0.085 + inner * 0.03 + 0.02)
            let mid = (innerEnd + outerEnd) * 0.5
            let control = mid + Vec2(side * 0.01, -0.035 - arch * 0.045 - max(0, raise) * 0.015 + max(0, inner) * 0.01)
            let thick = id.browThickness
            let box = FaceBox(min: Vec2(min(innerEnd.x, outerEnd.x) - 0.06, min(innerEnd.y, outerEnd.y, control.y) - 0.06),
                              max: Vec2(max(innerEnd.x, outerEnd.x) + 0.06, max(innerEnd.y, outerEnd.y) + 0.06))
            canvas.fill(box, color, softness: 1.3) { p in
                Shape2D.taperedCurve(p, innerEnd, control, outerEnd) { t in thick * (0.75 - 0.4 * t) }
            }
        }
        // Vertical creases between lowered, pulled-together brows.
        if m.frownLines > 0.15 {
            for side in [-1.0, 1.0] {
                let a = Vec2(side * 0.035 + yawShift, id.browY - 0.01), b = Vec2(side * 0.028 + yawShift, id.browY + 0.07)
                canvas.fill(FaceBox(min: Vec2(a.x - 0.03, a.y - 0.02), max: Vec2(a.x + 0.03, b.y + 0.02)),
                            id.skin * 0.62, opacity: min(0.6, m.frownLines * 0.45), softness: 1.2) {
                    Shape2D.segment($0, a, b).distance - 0.006
                }
            }
        }
        // Forehead lines above raised brows.
        if raise > 0.35 {
            for k in 0..<2 {
                let y = id.browY - 0.12 - Double(k) * 0.06
                let a = Vec2(-0.25, y + 0.01), c = Vec2(0, y - 0.02), b = Vec2(0.25, y + 0.01)
                canvas.fill(FaceBox(min: Vec2(-0.3, y - 0.05), max: Vec2(0.3, y + 0.05)), id.skin * 0.7,
                            opacity: min(0.4, (raise - 0.35) * 0.6), softness: 1.5) { p in
                    Shape2D.taperedCurve(p, a, c, b) { t in 0.005 * sin(Double.pi * t) }
                }
            }
        }
    }
}
