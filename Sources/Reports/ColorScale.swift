/// A sequential colour scale from near-white (0) to dark blue (1), piecewise linear between a
/// few anchors: light cells for small shares keep dark text readable, dark cells take white text.
public struct ColorScale: Sendable {
    public let anchors: [(UInt8, UInt8, UInt8)]

    public init(anchors: [(UInt8, UInt8, UInt8)]) {
        self.anchors = anchors.isEmpty ? [(0, 0, 0)] : anchors
    }

    public static let blues = ColorScale(anchors: [
        (246, 250, 255), (200, 220, 240), (110, 170, 215), (40, 110, 180), (10, 45, 110),
    ])

    /// The colour at `t`, clamped to [0, 1].
    public func color(at t: Double) -> (UInt8, UInt8, UInt8) {
        guard anchors.count > 1 else { return anchors[0] }
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Double(p) + (Double(q) - Double(p)) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Black or white, whichever reads better on `background` (by Rec. 601 luma).
    public static func textColor(on background: (UInt8, UInt8, UInt8)) -> (UInt8, UInt8, UInt8) {
        let luma = 0.299 * Double(background.0) + 0.587 * Double(background.1) + 0.114 * Double(background.2)
        return luma < 140 ? (255, 255, 255) : (20, 20, 20)
    }
}
