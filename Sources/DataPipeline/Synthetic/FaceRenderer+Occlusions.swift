import Foundation

/// Things in front of the face: glasses (some dark), a hand, loose hair. Real data sets are
/// full of them, and they hide exactly the features a classifier would like to see.
extension FaceRenderer {
    func drawGlasses(_ canvas: inout FaceCanvas) {
        let frame = face.occlusion.glassesColor
        let dark = face.occlusion.sunglasses
        var lensCenters: [Vec2] = []
        for side in [-1.0, 1.0] {
            let eye = eyeShape(side: side)
            let c = eye.center + Vec2(0, 0.012)
            lensCenters.append(c)
            let half = Vec2(id.eyeWidth * 1.5, id.eyeHeight * 2.3 + 0.02)
            let box = FaceBox(center: c, radius: half + Vec2(0.04, 0.04))
            let lens = { (p: Vec2) in Shape2D.roundedBox(p, center: c, halfSize: half, cornerRadius: 0.05) }
            canvas.fill(box, dark ? Color(0.05, 0.05, 0.07) : Color(0.85, 0.9, 0.95), opacity: dark ? 0.9 : 0.12) { lens($0) }
            // A reflection streak across the lens.
            canvas.fill(box, Color(1, 1, 1), opacity: dark ? 0.25 : 0.15, softness: 2) { p in
                let q = Shape2D.rotate(p - c, by: 0.7)
                return max(abs(q.x + half.x * 0.3) - 0.012, lens(p))
            }
            canvas.fill(box, frame) { abs(lens($0)) - 0.011 }
            // Temple arm towards the ear.
            let a = Vec2(c.x + side * half.x, c.y - half.y * 0.5), b = Vec2(side * (id.faceWidth + 0.02), c.y)
            canvas.fill(FaceBox(min: Vec2(min(a.x, b.x) - 0.03, a.y - 0.05), max: Vec2(max(a.x, b.x) + 0.03, b.y + 0.05)), frame) {
                Shape2D.segment($0, a, b).distance - 0.01
            }
        }
        let bridgeA = Vec2(lensCenters[0].x + id.eyeWidth * 1.5, lensCenters[0].y - 0.03)
        let bridgeB = Vec2(lensCenters[1].x - id.eyeWidth * 1.5, lensCenters[1].y - 0.03)
        let ctrl = (bridgeA + bridgeB) * 0.5 + Vec2(0, -0.02)
        canvas.fill(FaceBox(min: bridgeA - Vec2(0.03, 0.06), max: bridgeB + Vec2(0.03, 0.04)), frame) { p in
            Shape2D.taperedCurve(p, bridgeA, ctrl, bridgeB) { _ in 0.009 }
        }
    }

    func drawHand(_ canvas: inout FaceCanvas, side: Double, y: Double, angle: Double) {
        let skin = id.skin * Color(1.03, 0.98, 0.95)
        let edge = id.skin * 0.55
        let palm = Vec2(side * (id.faceWidth * 0.95), y + 0.2)
        let tilt = angle + side * 0.35
        // Fingers reach up and in across the cheek, mouth or chin.
        var fingers: [(Vec2, Vec2, Double)] = []
        for k in 0..<4 {
            let along = (Double(k) - 1.5) * 0.085
            let base = palm + Shape2D.rotate(Vec2(along, -0.16), by: tilt)
            let length = [0.26, 0.31, 0.3, 0.24][k]
            let tip = base + Shape2D.rotate(Vec2(-side * 0.12, -length), by: tilt)
            fingers.append((base, tip, 0.042))
        }
        let thumbBase = palm + Shape2D.rotate(Vec2(-side * 0.13, 0.02), by: tilt)
        let thumbTip = thumbBase + Shape2D.rotate(Vec2(-side * 0.2, -0.08), by: tilt)
        fingers.append((thumbBase, thumbTip, 0.048))
        func hand(_ p: Vec2) -> Double {
            var d = Shape2D.ellipse(p, center: palm, radii: Vec2(0.17, 0.22), angle: tilt)
            for (a, b, r) in fingers { d = min(d, Shape2D.segment(p, a, b).distance - r) }
            return d
        }
        let box = FaceBox(center: palm, radius: Vec2(0.75, 0.75))
        canvas.fill(box, edge) { hand($0) - 0.008 }
        canvas.fill(box, color: { p in skin * (0.92 + 0.1 * sin(p.x * 20)) }) { p in
            // Each finger drawn slightly inside the outline so the gaps between fingers stay dark.
            var d = Shape2D.ellipse(p, center: palm, radii: Vec2(0.16, 0.21), angle: tilt)
            for (a, b, r) in fingers { d = min(d, Shape2D.segment(p, a, b).distance - (r - 0.009)) }
            return d
        }
    }

    func drawStrands(_ canvas: inout FaceCanvas) {
        let side = face.yaw >= 0 ? 1.0 : -1.0
        let hair = id.hair
        for k in 0..<5 {
            let dx = Double(k) * 0.035
            let start = Vec2(side * (0.05 + dx), id.hairline + 0.02)
            let end = Vec2(side * (id.eyeSpacing + 0.1 + dx * 1.3), id.eyeY + 0.06 + Double(k % 2) * 0.05)
            let control = Vec2(side * (0.2 + dx), (start.y + end.y) / 2 - 0.05)
            let box = FaceBox(min: Vec2(min(start.x, end.x) - 0.1, start.y - 0.05), max: Vec2(max(start.x, end.x) + 0.1, end.y + 0.05))
            canvas.fill(box, hair * (0.8 + 0.05 * Double(k)), softness: 1.2) { p in
                Shape2D.taperedCurve(p, start, control, end) { t in 0.016 * (1 - 0.7 * t) }
            }
        }
    }
}
