import Imaging
import Autograd

/// torchvision's `ColorJitter(brightness, contrast, saturation, hue)`: each enabled adjustment
/// gets a random factor — brightness/contrast/saturation uniform in [max(0, 1 − x), 1 + x], hue
/// uniform in [−h, h] — and the four are applied in a random order (a fresh permutation per image).
public struct ColorJitter: Sendable, Equatable, CustomStringConvertible {
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double
    public var hue: Double

    public init(brightness: Double, contrast: Double, saturation: Double, hue: Double) {
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
    }

    /// The four adjustments, in torchvision's numbering (the permutation indexes these).
    public enum Operation: Int, CaseIterable, Sendable {
        case brightness, contrast, saturation, hue
    }

    /// One image's draw: the order and the factors (nil where the adjustment is disabled).
    public struct Draw: Sendable, Equatable {
        public var order: [Operation]
        public var brightness: Double?
        public var contrast: Double?
        public var saturation: Double?
        public var hue: Double?
    }

    public func draw(_ rng: inout SeededRNG) -> Draw {
        var order = Operation.allCases
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, rng.index(below: i + 1))
        }
        func factor(_ x: Double) -> Double? {
            x > 0 ? rng.uniformDouble(max(0, 1 - x), 1 + x) : nil
        }
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let h = hue > 0 ? rng.uniformDouble(-hue, hue) : nil
        return Draw(order: order, brightness: b, contrast: c, saturation: s, hue: h)
    }

    public func apply(_ draw: Draw, to image: RGBImage) -> RGBImage {
        var out = image
        for op in draw.order {
            switch op {
            case .brightness: if let f = draw.brightness { out = out.adjustingBrightness(f) }
            case .contrast: if let f = draw.contrast { out = out.adjustingContrast(f) }
            case .saturation: if let f = draw.saturation { out = out.adjustingSaturation(f) }
            case .hue: if let f = draw.hue { out = out.adjustingHue(f) }
            }
        }
        return out
    }

    public var description: String {
        "colorJitter(brightness: \(brightness), contrast: \(contrast), saturation: \(saturation), hue: \(hue))"
    }
}
