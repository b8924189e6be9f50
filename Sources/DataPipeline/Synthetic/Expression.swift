/// The seven basic expressions in RAF-DB's order (its list file's labels 1–7 are these + 1).
public enum Expression: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case surprise, fear, disgust, happiness, sadness, anger, neutral

    /// The label RAF-DB's list file uses (1-based).
    public var rafLabel: Int { rawValue + 1 }

    public var description: String {
        switch self {
        case .surprise: return "Surprise"
        case .fear: return "Fear"
        case .disgust: return "Disgust"
        case .happiness: return "Happiness"
        case .sadness: return "Sadness"
        case .anger: return "Anger"
        case .neutral: return "Neutral"
        }
    }

    /// A distinct colour per class, for contact-sheet row bars and plots.
    public var swatch: (UInt8, UInt8, UInt8) {
        switch self {
        case .surprise: return (255, 200, 0)
        case .fear: return (150, 80, 220)
        case .disgust: return (60, 160, 60)
        case .happiness: return (255, 120, 170)
        case .sadness: return (60, 110, 230)
        case .anger: return (220, 40, 30)
        case .neutral: return (150, 150, 150)
        }
    }

    /// How far this expression moves each facial feature from rest, at full intensity. The
    /// values follow the facial action units usually listed for each emotion (brow raiser and
    /// jaw drop for surprise; brow raiser + lowerer, lid raiser and lip stretcher for fear; nose
    /// wrinkler and upper-lip raiser for disgust; cheek raiser and lip-corner puller for
    /// happiness; inner-brow raiser and lip-corner depressor for sadness; brow lowerer, lid
    /// tightener and lip presser for anger), which makes fear/surprise and anger/disgust share
    /// most of their movements, as real faces do.
    var movement: FaceMovement {
        var m = FaceMovement()
        switch self {
        case .surprise:
            m.browRaise = 1.0; m.browArch = 0.8; m.eyeOpen = 0.55
            m.mouthOpen = 1.0; m.mouthWidth = -0.3
        case .fear:
            m.browRaise = 0.6; m.browInnerRaise = 0.7; m.browSqueeze = 0.6; m.eyeOpen = 0.55
            m.mouthOpen = 0.5; m.mouthWidth = 0.35; m.mouthSmile = -0.35; m.teeth = 0.6
        case .disgust:
            m.browRaise = -0.45; m.browSqueeze = 0.4; m.browInnerRaise = -0.15; m.eyeOpen = -0.35; m.lowerLidRaise = 0.5
            m.noseWrinkle = 1.0; m.upperLipRaise = 0.9; m.mouthSmile = -0.5; m.mouthOpen = 0.2; m.teeth = 0.6
            m.nasolabial = 0.8; m.asymmetry = 0.6
        case .happiness:
            m.eyeOpen = -0.35; m.lowerLidRaise = 0.8; m.cheekRaise = 1.0
            m.mouthSmile = 1.1; m.mouthWidth = 0.35; m.mouthOpen = 0.4; m.teeth = 0.9; m.nasolabial = 0.8
        case .sadness:
            m.browInnerRaise = 0.9; m.browRaise = -0.1; m.eyeOpen = -0.25; m.upperLidDroop = 0.6
            m.mouthSmile = -0.8; m.lowerLipPout = 0.6
        case .anger:
            m.browRaise = -0.8; m.browInnerRaise = -0.9; m.browSqueeze = 0.9; m.eyeOpen = -0.15; m.upperLidDroop = -0.5
            m.lowerLidRaise = 0.4; m.lipPress = 0.8; m.mouthSmile = -0.25; m.mouthWidth = -0.15; m.frownLines = 1.0
            m.noseWrinkle = 0.25
        case .neutral:
            break
        }
        return m
    }
}

/// Displacements of the facial features from a resting face (0 everywhere = neutral); roughly
/// −1…1 at full intensity.
struct FaceMovement: Sendable {
    var browRaise = 0.0        // both brows up (+) or down (−)
    var browInnerRaise = 0.0   // inner ends up (+, sad/fear) or down (−, angry V)
    var browSqueeze = 0.0      // brows pulled together
    var browArch = 0.0         // curved upwards in the middle
    var frownLines = 0.0       // vertical creases between the brows
    var eyeOpen = 0.0          // lids apart (+) or narrowed (−)
    var upperLidDroop = 0.0    // outer upper lid down (+, sad) or inner lid down (−, glare)
    var lowerLidRaise = 0.0    // lower lid pushed up (smile, squint)
    var cheekRaise = 0.0
    var noseWrinkle = 0.0
    var nasolabial = 0.0       // nose-to-mouth folds
    var mouthSmile = 0.0       // corners up (+) or down (−)
    var mouthOpen = 0.0
    var mouthWidth = 0.0       // stretched (+) or narrowed (−)
    var upperLipRaise = 0.0
    var lowerLipPout = 0.0
    var lipPress = 0.0         // thin, pressed lips
    var teeth = 0.0            // how much of the opening shows teeth
    var asymmetry = 0.0        // one side of the upper lip higher

    /// Field-wise a + s·b: an expression at some intensity on top of a resting face.
    static func combine(_ a: FaceMovement, _ b: FaceMovement, scale s: Double) -> FaceMovement {
        var r = a
        r.browRaise += s * b.browRaise; r.browInnerRaise += s * b.browInnerRaise
        r.browSqueeze += s * b.browSqueeze; r.browArch += s * b.browArch; r.frownLines += s * b.frownLines
        r.eyeOpen += s * b.eyeOpen; r.upperLidDroop += s * b.upperLidDroop; r.lowerLidRaise += s * b.lowerLidRaise
        r.cheekRaise += s * b.cheekRaise; r.noseWrinkle += s * b.noseWrinkle; r.nasolabial += s * b.nasolabial
        r.mouthSmile += s * b.mouthSmile; r.mouthOpen += s * b.mouthOpen; r.mouthWidth += s * b.mouthWidth
        r.upperLipRaise += s * b.upperLipRaise; r.lowerLipPout += s * b.lowerLipPout; r.lipPress += s * b.lipPress
        r.teeth += s * b.teeth; r.asymmetry += s * b.asymmetry
        return r
    }
}
