import Imaging

/// A confusion matrix drawn as a heat map: one cell per (true, predicted) pair, coloured by the
/// share of its row (so a rare class's mistakes are as visible as a frequent one's), with the
/// count and the percentage written in the cell, class names on both axes and a colour scale.
///
///     let image = ConfusionHeatMap(matrix: m, classNames: names).render()
///     try ImageEncoder.write(image, to: "confusion.png", as: .png)
public struct ConfusionHeatMap {
    /// A rectangle of the image, in pixels.
    public struct Box: Equatable, Sendable {
        public let x, y, width, height: Int
    }

    public let matrix: ConfusionMatrix
    public let classNames: [String]
    public let scale: ColorScale
    /// Side of a cell.
    public let cell: Int
    /// Left edge of the grid (room for the row labels) and top edge (the title and column labels).
    public let gridX, gridY: Int
    public let width, height: Int

    static let labelScale = 2
    static let margin = 12
    static let scaleBarWidth = 22
    static let background: (UInt8, UInt8, UInt8) = (255, 255, 255)
    static let ink: (UInt8, UInt8, UInt8) = (20, 20, 20)
    static let title = "CONFUSION MATRIX"

    public init(matrix: ConfusionMatrix, classNames: [String], scale: ColorScale = .blues) {
        self.matrix = matrix
        self.classNames = (0..<matrix.classes).map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
        self.scale = scale
        let s = Self.labelScale, m = Self.margin
        let countDigits = String(matrix.counts.max() ?? 0).count
        cell = max(64, PixelFont.width(of: String(repeating: "0", count: countDigits), scale: s) + 12)
        let labelWidth = self.classNames.map { PixelFont.width(of: $0, scale: s) }.max() ?? 0
        let glyph = PixelFont.glyphHeight * s
        // Left: the axis caption "TRUE" (vertical), then the row labels.
        gridX = m + glyph + m + labelWidth + m
        // Top: title, the axis caption "PREDICTED", then the column labels (vertical).
        gridY = m + glyph + m + glyph + m + labelWidth + m
        let grid = matrix.classes * cell
        let scaleLabels = PixelFont.width(of: "100%", scale: s)
        width = max(gridX + grid + 3 * m + Self.scaleBarWidth + 8 + scaleLabels + m,
                    m + PixelFont.width(of: Self.title, scale: s) + m)
        height = gridY + grid + m + glyph + m
    }

    /// Where the cell of (`truth`, `predicted`) is.
    public func cellBox(truth: Int, predicted: Int) -> Box {
        Box(x: gridX + predicted * cell, y: gridY + truth * cell, width: cell, height: cell)
    }

    /// Where the colour scale bar is (top = 100 %, bottom = 0 %).
    public var scaleBarBox: Box {
        Box(x: gridX + matrix.classes * cell + 3 * Self.margin, y: gridY, width: Self.scaleBarWidth,
            height: max(matrix.classes * cell, 1))
    }

    /// The share of its row that the (`truth`, `predicted`) cell holds (0 for an empty row).
    public func share(truth: Int, predicted: Int) -> Double {
        let row = (0..<matrix.classes).reduce(0) { $0 + matrix[truth, $1] }
        return row > 0 ? Double(matrix[truth, predicted]) / Double(row) : 0
    }

    public func render() -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: Self.background)
        let s = Self.labelScale, m = Self.margin, glyph = PixelFont.glyphHeight * s, n = matrix.classes
        PixelFont.draw(Self.title, into: &image, x: m, y: m, scale: s, color: Self.ink)
        let predictedCaption = "PREDICTED"
        PixelFont.draw(predictedCaption, into: &image,
                       x: gridX + (n * cell - PixelFont.width(of: predictedCaption, scale: s)) / 2,
                       y: m + glyph + m, scale: s, color: Self.ink)
        let trueCaption = "TRUE"
        PixelFont.drawVertical(trueCaption, into: &image, x: m,
                               y: gridY + (n * cell - PixelFont.width(of: trueCaption, scale: s)) / 2,
                               scale: s, color: Self.ink)
        for (k, name) in classNames.enumerated() {
            let w = PixelFont.width(of: name, scale: s)
            // Row labels right-aligned against the grid; column labels upwards, ending at the grid.
            PixelFont.draw(name, into: &image, x: gridX - m - w, y: gridY + k * cell + (cell - glyph) / 2,
                           scale: s, color: Self.ink)
            PixelFont.drawVertical(name, into: &image, x: gridX + k * cell + (cell - glyph) / 2,
                                   y: gridY - m - w, scale: s, color: Self.ink)
        }
        for t in 0..<n {
            for p in 0..<n { drawCell(truth: t, predicted: p, into: &image) }
        }
        drawScaleBar(into: &image)
        return image
    }

    private func drawCell(truth: Int, predicted: Int, into image: inout RGBImage) {
        let box = cellBox(truth: truth, predicted: predicted)
        let share = share(truth: truth, predicted: predicted)
        let fill = scale.color(at: share)
        // A one-pixel white seam between cells keeps neighbouring cells of similar colour apart.
        Self.fill(&image, Box(x: box.x + 1, y: box.y + 1, width: box.width - 2, height: box.height - 2), fill)
        let text = ColorScale.textColor(on: fill)
        let count = String(matrix[truth, predicted])
        let percent = String(Int((share * 100).rounded())) + "%"
        let s = Self.labelScale
        let countHeight = PixelFont.glyphHeight * s, percentHeight = PixelFont.glyphHeight
        let top = box.y + (cell - countHeight - 6 - percentHeight) / 2
        PixelFont.draw(count, into: &image, x: box.x + (cell - PixelFont.width(of: count, scale: s)) / 2, y: top,
                       scale: s, color: text)
        PixelFont.draw(percent, into: &image, x: box.x + (cell - PixelFont.width(of: percent)) / 2,
                       y: top + countHeight + 6, color: text)
    }

    private func drawScaleBar(into image: inout RGBImage) {
        let bar = scaleBarBox, s = Self.labelScale
        for row in 0..<bar.height {
            let t = bar.height > 1 ? 1 - Double(row) / Double(bar.height - 1) : 1
            Self.fill(&image, Box(x: bar.x, y: bar.y + row, width: bar.width, height: 1), scale.color(at: t))
        }
        let glyph = PixelFont.glyphHeight * s
        for (label, t) in [("100%", 1.0), ("50%", 0.5), ("0%", 0.0)] {
            let y = bar.y + Int((1 - t) * Double(bar.height - 1))
            // Ticks on the bar's left, labels on its right: a tick beside a label would read as a digit.
            Self.fill(&image, Box(x: bar.x - 6, y: y, width: 5, height: 2), Self.ink)
            PixelFont.draw(label, into: &image, x: bar.x + bar.width + 8,
                           y: min(max(y - glyph / 2, bar.y), bar.y + bar.height - glyph), scale: s, color: Self.ink)
        }
        let caption = "SHARE OF ROW"
        PixelFont.draw(caption, into: &image, x: max(bar.x + (bar.width - PixelFont.width(of: caption)) / 2, 0),
                       y: bar.y + bar.height + Self.margin, color: Self.ink)
    }

    private static func fill(_ image: inout RGBImage, _ box: Box, _ color: (UInt8, UInt8, UInt8)) {
        let x0 = max(box.x, 0), x1 = min(box.x + box.width, image.width)
        let y0 = max(box.y, 0), y1 = min(box.y + box.height, image.height)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 {
                let i = image.index(x: x, y: y)
                image.pixels[i] = color.0; image.pixels[i + 1] = color.1; image.pixels[i + 2] = color.2
            }
        }
    }
}
