import Autograd
import Foundation

/// Everything that decides one synthetic face: who (identity), how it is shown (pose, light,
/// camera) and what it expresses. Drawn from a generator keyed by (seed, split, index), so an
/// image can be regenerated on its own.
struct FaceParameters: Sendable {
    enum HairStyle: CaseIterable, Sendable { case short, long, fringe, shaved }

    struct Identity: Sendable {
        var faceWidth: Double       // half-width of the face oval
        var faceHeight: Double      // half-height
        var jaw: Double             // 0 round … 1 narrow pointed chin
        var skin: Color
        var lips: Color
        var hair: Color
        var hairStyle: HairStyle
        var hairline: Double        // y of the hairline (face space)
        var iris: Color
        var eyeSpacing: Double      // half the distance between eye centres
        var eyeY: Double
        var eyeWidth: Double        // half-width of an eye
        var eyeHeight: Double       // half-height of an open eye
        var browY: Double
        var browThickness: Double
        var browLength: Double
        var noseLength: Double      // y of the nostrils
        var noseWidth: Double
        var mouthY: Double
        var mouthWidth: Double      // half-width at rest
        var lipThickness: Double
        var resting: FaceMovement   // a resting face that is not perfectly neutral
    }

    struct Occlusion: Sendable {
        var glasses = false
        var sunglasses = false
        var glassesColor = Color(0.1, 0.1, 0.1)
        /// A hand over part of the face: side (−1 left, +1 right), height (face y), angle.
        var hand: (side: Double, y: Double, angle: Double)?
        var strands = false         // loose hair over one eye/brow
    }

    var identity: Identity
    var expression: Expression
    var intensity: Double
    var movement: FaceMovement
    /// Head turn: shifts the features sideways (−1…1, small).
    var yaw: Double
    var gaze: Vec2
    var angle: Double               // in-plane rotation, radians
    var scale: Double
    var shift: Vec2
    var background: (top: Color, bottom: Color)
    var clothes: Color
    var lightDirection: Vec2
    var lightStrength: Double
    var exposure: Double
    var colorCast: Color
    var blur: Double
    var noise: Double
    var occlusion: Occlusion

    static func random(expression: Expression, _ rng: inout SeededRNG) -> FaceParameters {
        func u(_ a: Double, _ b: Double) -> Double { rng.uniformDouble(a, b) }
        func n(_ s: Double) -> Double { Double(rng.nextNormal()) * s }
        func chance(_ p: Double) -> Bool { rng.bernoulli(p) }
        func pick<T>(_ xs: [T]) -> T { xs[rng.index(below: xs.count)] }

        // Skin from light to dark with a little hue variation.
        let tone = u(0, 1)
        let light = Color(0.96, 0.80, 0.69), dark = Color(0.35, 0.23, 0.16)
        var skin = light + (dark - light) * tone
        skin += Color(n(0.025), n(0.02), n(0.02))
        let lips = skin * Color(0.86, 0.58, 0.58) + Color(0.08, 0.0, 0.02)
        let hair = pick([Color(0.06, 0.05, 0.05), Color(0.2, 0.12, 0.07), Color(0.35, 0.22, 0.12),
                         Color(0.72, 0.58, 0.35), Color(0.55, 0.55, 0.55), Color(0.5, 0.22, 0.1)])
        let iris = pick([Color(0.28, 0.16, 0.08), Color(0.15, 0.09, 0.05), Color(0.25, 0.42, 0.62),
                         Color(0.3, 0.45, 0.3), Color(0.42, 0.32, 0.15)])
        var resting = FaceMovement()
        resting.mouthSmile = n(0.12); resting.browRaise = n(0.12); resting.browInnerRaise = n(0.1)
        resting.eyeOpen = n(0.12); resting.mouthWidth = n(0.08)
        let faceWidth = u(0.56, 0.66)
        let identity = Identity(
            faceWidth: faceWidth, faceHeight: u(0.76, 0.84), jaw: u(0.1, 0.8),
            skin: skin, lips: lips, hair: hair, hairStyle: pick(HairStyle.allCases), hairline: u(-0.62, -0.48),
            iris: iris, eyeSpacing: faceWidth * u(0.40, 0.47), eyeY: u(-0.16, -0.08),
            eyeWidth: u(0.105, 0.135), eyeHeight: u(0.048, 0.062),
            browY: u(-0.33, -0.27), browThickness: u(0.026, 0.044), browLength: u(0.16, 0.21),
            noseLength: u(0.17, 0.25), noseWidth: u(0.055, 0.08),
            mouthY: u(0.42, 0.48), mouthWidth: u(0.18, 0.23), lipThickness: u(0.035, 0.055),
            resting: resting)

        // Intensity from subtle to full: subtle expressions are what make real data hard.
        let intensity = u(0.35, 1.1)
        var movement = FaceMovement.combine(resting, expression.movement, scale: intensity)
        movement = FaceMovement.combine(movement, jitter(&rng), scale: 1)

        var occlusion = Occlusion()
        if chance(0.22) {
            occlusion.glasses = true
            occlusion.sunglasses = chance(0.12)
            occlusion.glassesColor = pick([Color(0.08, 0.08, 0.08), Color(0.45, 0.3, 0.15), Color(0.7, 0.7, 0.72)])
        }
        if chance(0.1) { occlusion.hand = (side: chance(0.5) ? -1 : 1, y: u(0.25, 0.75), angle: n(0.4)) }
        if chance(0.1) { occlusion.strands = true }

        let bgBase = Color(u(0.15, 0.9), u(0.15, 0.9), u(0.15, 0.9))
        let grey = (bgBase.x + bgBase.y + bgBase.z) / 3
        let bg = Color(grey: grey) + (bgBase - Color(grey: grey)) * 0.5
        let angleToLight = u(0, 2 * Double.pi)
        return FaceParameters(
            identity: identity, expression: expression, intensity: intensity, movement: movement,
            yaw: n(0.25), gaze: Vec2(n(0.25), n(0.15)),
            angle: max(-0.35, min(0.35, n(0.14))), scale: u(1.02, 1.22), shift: Vec2(n(0.03), n(0.03)),
            background: (bg, bg * u(0.55, 1.0)), clothes: Color(u(0.05, 0.9), u(0.05, 0.9), u(0.05, 0.9)),
            lightDirection: Vec2(cos(angleToLight), sin(angleToLight)), lightStrength: u(0, 0.45),
            exposure: u(0.75, 1.15), colorCast: Color(1 + n(0.05), 1 + n(0.04), 1 + n(0.05)),
            blur: chance(0.3) ? u(0.3, 1) : 0, noise: u(0.004, 0.035), occlusion: occlusion)
    }

    /// Small per-image muscle noise, so two faces with the same expression and intensity differ.
    private static func jitter(_ rng: inout SeededRNG) -> FaceMovement {
        func n() -> Double { Double(rng.nextNormal()) * 0.1 }
        var m = FaceMovement()
        m.browRaise = n(); m.browInnerRaise = n(); m.browSqueeze = n(); m.eyeOpen = n()
        m.mouthSmile = n(); m.mouthOpen = abs(n()) * 0.5; m.mouthWidth = n(); m.lowerLidRaise = n()
        return m
    }
}
