import Foundation

/// Nose and mouth: the mouth carries most of the expression (smile, frown, jaw drop, stretched
/// or pressed lips, raised upper lip); the nose adds the disgust wrinkle and the smile folds.
extension FaceRenderer {
    /// The mouth as curves over t = (x − centre) / half-width in −1…1.
    struct MouthShape {
        let center: Vec2
        let halfWidth: Double
        let smile: Double
        let open: Double
        let upperRaise: Double
        let pout: Double
        let lip: Double
        let tilt: Double

        func t(_ x: Double) -> Double { max(-1, min(1, (x - center.x) / halfWidth)) }

        /// Where the lips meet (or the middle of the opening).
        func mid(_ x: Double) -> Double {
            let t = t(x)
            return center.y - smile * 0.085 * t * t + tilt * 0.025 * t
        }

        func opening(_ x: Double) -> Double {
            let t = t(x)
            return open * 0.16 * pow(max(0, 1 - t * t), 0.65)
        }

        func innerUpper(_ x: Double) -> Double {
            let t = t(x)
            let raise = upperRaise * 0.04 * max(0, 1 - t * t) * (1 + tilt * t)
            return mid(x) - opening(x) * 0.35 - raise
        }

        func innerLower(_ x: Double) -> Double { mid(x) + opening(x) * 0.65 }

        func outerUpper(_ x: Double) -> Double {
            let t = t(x)
            let bow = 0.2 * lip * exp(-pow((abs(t) - 0.22) / 0.2, 2))  // the two peaks of the Cupid's bow
            return innerUpper(x) - lip * 0.85 * pow(max(0, 1 - t * t), 0.5) - bow
        }

        func outerLower(_ x: Double) -> Double {
            let t = t(x)
            return innerLower(x) + lip * (1.15 + 0.6 * pout) * pow(max(0, 1 - t * t), 0.5)
        }

        func region(_ p: Vec2, top: (Double) -> Double, bottom: (Double) -> Double, width: Double) -> Double {
            Shape2D.implicitDistance(p) { q in
                max(abs(q.x - center.x) - width, top(q.x) - q.y, q.y - bottom(q.x))
            }
        }
    }

    var noseCenter: Double { yawShift * 1.5 }

    func drawNose(_ canvas: inout FaceCanvas) {
        let nx = noseCenter, ny = id.noseLength, nw = id.noseWidth, skin = id.skin
        let lightSide = face.lightDirection.x >= 0 ? -1.0 : 1.0  // shadow on the side away from the light
        let soft = Double(canvas.size) * 0.03
        let a = Vec2(nx + lightSide * 0.04, id.eyeY + 0.04), b = Vec2(nx + lightSide * 0.055, ny - 0.04)
        canvas.fill(FaceBox(min: Vec2(nx - 0.12, a.y - 0.05), max: Vec2(nx + 0.12, b.y + 0.05)), skin * 0.7,
                    opacity: 0.3, softness: soft) { Shape2D.segment($0, a, b).distance - 0.012 }
        let tip = Vec2(nx, ny - 0.025)
        canvas.fill(FaceBox(center: tip, radius: Vec2(nw + 0.05, 0.1)), skin * 1.1, opacity: 0.35, softness: soft) {
            Shape2D.ellipse($0, center: tip, radii: Vec2(nw * 0.6, 0.05))
        }
        for side in [-1.0, 1.0] {
            let wing = Vec2(nx + side * nw * 0.9, ny - 0.012)
            canvas.fill(FaceBox(center: wing, radius: Vec2(0.07, 0.07)), skin * 0.78, opacity: 0.55, softness: 2) {
                Shape2D.ellipse($0, center: wing, radii: Vec2(0.028, 0.034))
            }
            let nostril = Vec2(nx + side * nw * 0.45, ny + 0.006)
            canvas.fill(FaceBox(center: nostril, radius: Vec2(0.05, 0.04)), skin * 0.3, opacity: 0.85, softness: 1.2) {
                Shape2D.ellipse($0, center: nostril, radii: Vec2(0.022, 0.011), angle: side * 0.3)
            }
        }
        // Disgust: short wrinkles across the bridge.
        if m.noseWrinkle > 0.2 {
            for k in 0..<3 {
                let y = id.eyeY + 0.05 + Double(k) * 0.028
                let l = Vec2(nx - 0.045, y + 0.008), c = Vec2(nx, y - 0.008), r = Vec2(nx + 0.045, y + 0.008)
                canvas.fill(FaceBox(min: Vec2(nx - 0.08, y - 0.04), max: Vec2(nx + 0.08, y + 0.04)), skin * 0.62,
                            opacity: min(0.7, m.noseWrinkle * 0.55), softness: 1.2) { p in
                    Shape2D.taperedCurve(p, l, c, r) { t in 0.0065 * sin(Double.pi * t) }
                }
            }
        }
        // Folds from the nose wings to beyond the mouth corners (smile, disgust).
        let fold = min(0.65, 0.12 + 0.5 * max(0, m.nasolabial))
        for side in [-1.0, 1.0] {
            let start = Vec2(nx + side * (nw + 0.035), ny - 0.01)
            let mouth = mouthShape()
            let end = Vec2(mouth.center.x + side * (mouth.halfWidth + 0.05), mouth.mid(mouth.center.x + side * mouth.halfWidth) + 0.07)
            let control = Vec2(nx + side * (nw + 0.12), (start.y + end.y) / 2 - 0.01)
            let box = FaceBox(min: Vec2(min(start.x, end.x, control.x) - 0.04, start.y - 0.04),
                              max: Vec2(max(start.x, end.x, control.x) + 0.04, end.y + 0.04))
            canvas.fill(box, skin * 0.68, opacity: fold, softness: 2) { p in
                Shape2D.taperedCurve(p, start, control, end) { t in 0.008 * (1 - t) + 0.002 }
            }
        }
    }

    func mouthShape() -> MouthShape {
        MouthShape(center: Vec2(noseCenter * 0.7, id.mouthY),
                   halfWidth: max(0.1, min(0.32, id.mouthWidth * (1 + 0.35 * m.mouthWidth + 0.12 * max(0, m.mouthSmile)))),
                   smile: max(-1.2, min(1.4, m.mouthSmile)),
                   open: max(0, min(1.25, m.mouthOpen)),
                   upperRaise: max(0, m.upperLipRaise),
                   pout: max(0, m.lowerLipPout),
                   lip: id.lipThickness * (1 - 0.6 * max(0, min(1, m.lipPress))),
                   tilt: m.asymmetry)
    }

    func drawMouth(_ canvas: inout FaceCanvas) {
        let mouth = mouthShape()
        let c = mouth.center, w = mouth.halfWidth
        let box = FaceBox(min: Vec2(c.x - w - 0.05, c.y - 0.18), max: Vec2(c.x + w + 0.05, c.y + 0.22))
        let lips = id.lips
        // Lips: the upper in shadow, the lower catching light.
        canvas.fill(box, color: { p in
            p.y < mouth.mid(p.x) ? lips * 0.82 : lips * 1.06
        }) { mouth.region($0, top: mouth.outerUpper, bottom: mouth.outerLower, width: w) }
        let gap = mouth.opening(c.x) + mouth.upperRaise * 0.04
        if gap > 0.006 {
            let inner = { (p: Vec2) in mouth.region(p, top: mouth.innerUpper, bottom: mouth.innerLower, width: w * 0.96) }
            canvas.fill(box, Color(0.22, 0.05, 0.06)) { inner($0) }
            if mouth.open > 0.55 {
                let tongue = Vec2(c.x, mouth.innerLower(c.x) - 0.01)
                canvas.fill(box, Color(0.62, 0.26, 0.27), softness: 1.5) {
                    max(Shape2D.ellipse($0, center: tongue, radii: Vec2(w * 0.5, 0.035)), inner($0))
                }
            }
            let teeth = max(0, min(1, m.teeth))
            if teeth > 0.1 {
                let white = Color(0.93, 0.9, 0.83)
                let depth = min(gap * 0.9, 0.028 + 0.012 * teeth)
                canvas.fill(box, color: { p in white * (0.8 + 0.2 * (1 - abs(mouth.t(p.x)))) }) { p in
                    max(inner(p), p.y - (mouth.innerUpper(p.x) + depth))
                }
                if mouth.open > 0.3 && teeth > 0.5 {
                    canvas.fill(box, white * 0.85) { p in max(inner(p), mouth.innerLower(p.x) - 0.018 - p.y) }
                }
            }
        }
        // Where the lips meet (always visible at the corners).
        canvas.fill(box, lips * 0.45, opacity: gap > 0.02 ? 0.5 : 0.9, softness: 1.2) { p in
            max(abs(p.y - mouth.mid(p.x)) - 0.005, abs(p.x - c.x) - w * 1.03)
        }
        // Pressed or pouting lips push the chin up into a small crease.
        let chin = max(m.lowerLipPout, m.lipPress * 0.8)
        if chin > 0.2 {
            let y = mouth.outerLower(c.x) + 0.05
            let a = Vec2(c.x - w * 0.5, y), ctrl = Vec2(c.x, y + 0.025), b = Vec2(c.x + w * 0.5, y)
            canvas.fill(FaceBox(min: Vec2(c.x - w, y - 0.04), max: Vec2(c.x + w, y + 0.06)), id.skin * 0.7,
                        opacity: min(0.5, chin * 0.5), softness: 2) { p in
                Shape2D.taperedCurve(p, a, ctrl, b) { t in 0.006 * sin(Double.pi * t) }
            }
        }
    }
}
