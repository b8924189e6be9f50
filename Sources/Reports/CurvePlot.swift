import Imaging
import Foundation

/// Line charts of training curves without a plotting library: a titled frame, axes with round
/// ticks, one polyline per series and a legend.
///
///     let plot = CurvePlot(title: "LOSS", xLabel: "STEP", series: [train, test])
///     try ImageEncoder.write(plot.render(), to: "loss.png", as: .png)
public struct CurvePlot {
    public struct Series {
        public var name: String
        public var color: (UInt8, UInt8, UInt8)
        public var points: [(x: Double, y: Double)]
        /// Draw a dot on every point (sparse series such as one evaluation per epoch).
        public var marked: Bool

        public init(name: String, color: (UInt8, UInt8, UInt8), points: [(x: Double, y: Double)], marked: Bool = false) {
            self.name = name
            self.color = color
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
            self.marked = marked
        }
    }

    public let title: String
    public let xLabel: String
    public let series: [Series]
    /// The y range to show (accuracies: 0...1); nil fits the data.
    public let yRange: ClosedRange<Double>?
    public let width: Int, height: Int

    static let margin = 12
    static let scale = 2
    static let background: (UInt8, UInt8, UInt8) = (255, 255, 255)
    static let ink: (UInt8, UInt8, UInt8) = (20, 20, 20)
    static let gridInk: (UInt8, UInt8, UInt8) = (225, 225, 225)

    public static let blue: (UInt8, UInt8, UInt8) = (31, 119, 180)
    public static let orange: (UInt8, UInt8, UInt8) = (230, 120, 20)
    public static let green: (UInt8, UInt8, UInt8) = (44, 160, 44)
    public static let red: (UInt8, UInt8, UInt8) = (214, 39, 40)

    public init(title: String, xLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil,
                width: Int = 720, height: Int = 420) {
        self.title = title
        self.xLabel = xLabel
        self.series = series
        self.yRange = yRange
        self.width = width
        self.height = height
    }

    /// The plotting area, inside the axes.
    var frame: (x: Int, y: Int, width: Int, height: Int) {
        let glyph = PixelFont.glyphHeight * Self.scale, m = Self.margin
        let left = m + PixelFont.width(of: "0.000", scale: Self.scale) + m
        let top = m + glyph + m + glyph + m
        let bottom = m + glyph + m + glyph + m
        return (left, top, max(width - left - 2 * m, 1), max(height - top - bottom, 1))
    }

    var xBounds: ClosedRange<Double> { Self.bounds(series.flatMap { $0.points.map(\.x) }, floor: 0) }
    var yBounds: ClosedRange<Double> { yRange ?? Self.bounds(series.flatMap { $0.points.map(\.y) }, floor: nil) }

    public func render() -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: Self.background)
        let f = frame, s = Self.scale, m = Self.margin, glyph = PixelFont.glyphHeight * s
        PixelFont.draw(title, into: &image, x: m, y: m, scale: s, color: Self.ink)
        drawLegend(into: &image, y: m + glyph + m)
        let xs = xBounds, ys = yBounds
        for tick in Self.ticks(ys) {
            let y = py(tick, ys)
            Self.line(&image, f.x, y, f.x + f.width - 1, y, Self.gridInk)
            let label = Self.label(tick, step: Self.tickStep(ys))
            PixelFont.draw(label, into: &image, x: f.x - m / 2 - PixelFont.width(of: label, scale: s),
                           y: y - glyph / 2, scale: s, color: Self.ink)
        }
        for tick in Self.ticks(xs) {
            let x = px(tick, xs)
            Self.line(&image, x, f.y + f.height, x, f.y + f.height + 4, Self.ink)
            let label = Self.label(tick, step: Self.tickStep(xs))
            PixelFont.draw(label, into: &image, x: x - PixelFont.width(of: label, scale: s) / 2,
                           y: f.y + f.height + 8, scale: s, color: Self.ink)
        }
        PixelFont.draw(xLabel, into: &image, x: f.x + (f.width - PixelFont.width(of: xLabel, scale: s)) / 2,
                       y: height - m - glyph, scale: s, color: Self.ink)
        Self.line(&image, f.x, f.y, f.x, f.y + f.height, Self.ink)
        Self.line(&image, f.x, f.y + f.height, f.x + f.width - 1, f.y + f.height, Self.ink)
        for curve in series {
            let points = curve.points.map { (px($0.x, xs), py($0.y, ys)) }
            for (a, b) in zip(points, points.dropFirst()) {
                Self.line(&image, a.0, a.1, b.0, b.1, curve.color, thick: true)
            }
            if curve.marked || points.count == 1 {
                for p in points { Self.dot(&image, p.0, p.1, curve.color) }
            }
        }
        return image
    }

    private func drawLegend(into image: inout RGBImage, y: Int) {
        var x = Self.margin
        for curve in series {
            Self.line(&image, x, y + 6, x + 24, y + 6, curve.color, thick: true)
            x += 32
            let name = curve.name.uppercased()
            PixelFont.draw(name, into: &image, x: x, y: y, scale: Self.scale, color: Self.ink)
            x += PixelFont.width(of: name, scale: Self.scale) + 3 * Self.margin
        }
    }

    func px(_ value: Double, _ range: ClosedRange<Double>) -> Int {
        let f = frame, span = max(range.upperBound - range.lowerBound, 1e-12)
        return f.x + Int(((value - range.lowerBound) / span * Double(f.width - 1)).rounded())
    }

    func py(_ value: Double, _ range: ClosedRange<Double>) -> Int {
        let f = frame, span = max(range.upperBound - range.lowerBound, 1e-12)
        let clamped = min(max(value, range.lowerBound), range.upperBound)
        return f.y + f.height - 1 - Int(((clamped - range.lowerBound) / span * Double(f.height - 1)).rounded())
    }

    /// The data's range widened to round tick values (from `floor` when given); a single value
    /// gets a unit range around it.
    static func bounds(_ values: [Double], floor: Double?) -> ClosedRange<Double> {
        guard var low = values.min(), var high = values.max() else { return 0...1 }
        if let floor { low = Swift.min(low, floor) }
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let step = tickStep(low...high)
        return (Foundation.floor(low / step) * step)...(ceil(high / step) * step)
    }

    /// A 1, 2 or 5 times a power of ten giving four to ten ticks.
    static func tickStep(_ range: ClosedRange<Double>) -> Double {
        let raw = max(range.upperBound - range.lowerBound, 1e-12) / 5
        let power = pow(10, Foundation.floor(log10(raw)))
        let factor = [1.0, 2, 5, 10].first { $0 * power >= raw } ?? 10
        return factor * power
    }

    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let step = tickStep(range)
        let first = ceil(range.lowerBound / step - 1e-9)
        return (0...50).map { (first + Double($0)) * step }.filter { $0 <= range.upperBound + step * 1e-9 }
    }

    static func label(_ value: Double, step: Double) -> String {
        if step >= 1 { return value >= 10_000 ? String(format: "%.0fK", value / 1000) : String(format: "%.0f", value) }
        let decimals = min(4, Int(ceil(-log10(step) - 1e-9)))
        return String(format: "%.\(decimals)f", value)
    }

    static func line(_ image: inout RGBImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int,
                     _ color: (UInt8, UInt8, UInt8), thick: Bool = false) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for k in 0...steps {
            let x = x0 + (x1 - x0) * k / steps, y = y0 + (y1 - y0) * k / steps
            put(&image, x, y, color)
            if thick { put(&image, x + 1, y, color); put(&image, x, y + 1, color) }
        }
    }

    static func dot(_ image: inout RGBImage, _ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        for dy in -3...3 { for dx in -3...3 where dx * dx + dy * dy <= 9 { put(&image, x + dx, y + dy, color) } }
    }

    static func put(_ image: inout RGBImage, _ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let i = image.index(x: x, y: y)
        image.pixels[i] = color.0; image.pixels[i + 1] = color.1; image.pixels[i + 2] = color.2
    }
}
