import Imaging
/// A grid of images for looking at data: one row per class, a coloured bar at the left of each
/// row (the class swatch), a thin gap between cells.
public enum ContactSheet {
    /// `rows[r]` are the images of row r (each resized to `cell` pixels square if needed);
    /// `barColors[r]` colours that row's bar.
    public static func make(rows: [[RGBImage]], barColors: [(UInt8, UInt8, UInt8)], cell: Int = 100,
                            gap: Int = 2, barWidth: Int = 12) -> RGBImage {
        let columns = rows.map(\.count).max() ?? 0
        let width = barWidth + gap + columns * (cell + gap)
        let height = max(rows.count * (cell + gap) + gap, 1)
        var sheet = RGBImage(width: max(width, 1), height: height, fill: (24, 24, 24))
        for (r, row) in rows.enumerated() {
            let top = gap + r * (cell + gap)
            let color = r < barColors.count ? barColors[r] : (255, 255, 255)
            paint(&sheet, x: 0, y: top, width: barWidth, height: cell, color: color)
            for (c, image) in row.enumerated() {
                let fitted = image.width == cell && image.height == cell ? image : image.resizedBilinear(size: cell)
                blit(fitted, into: &sheet, x: barWidth + gap + c * (cell + gap), y: top)
            }
        }
        return sheet
    }

    /// The first `perClass` images of each expression of `split`, one row per class in RAF order.
    public static func make(_ dataset: SyntheticDataset, split: SyntheticDataset.Split, perClass: Int) -> RGBImage {
        var rows = [[RGBImage]](repeating: [], count: Expression.allCases.count)
        for i in 0..<dataset.count(split) {
            let label = dataset.label(split, index: i).rawValue
            if rows[label].count < perClass { rows[label].append(dataset.image(split, index: i)) }
            if rows.allSatisfy({ $0.count >= perClass }) { break }
        }
        return make(rows: rows, barColors: Expression.allCases.map(\.swatch), cell: dataset.options.imageSize)
    }

    private static func paint(_ sheet: inout RGBImage, x: Int, y: Int, width: Int, height: Int, color: (UInt8, UInt8, UInt8)) {
        for yy in max(0, y)..<min(sheet.height, y + height) {
            for xx in max(0, x)..<min(sheet.width, x + width) {
                let i = sheet.index(x: xx, y: yy)
                sheet.pixels[i] = color.0; sheet.pixels[i + 1] = color.1; sheet.pixels[i + 2] = color.2
            }
        }
    }

    private static func blit(_ image: RGBImage, into sheet: inout RGBImage, x: Int, y: Int) {
        for yy in 0..<image.height where y + yy < sheet.height {
            for xx in 0..<image.width where x + xx < sheet.width {
                let s = image.index(x: xx, y: yy), d = sheet.index(x: x + xx, y: y + yy)
                sheet.pixels[d] = image.pixels[s]; sheet.pixels[d + 1] = image.pixels[s + 1]; sheet.pixels[d + 2] = image.pixels[s + 2]
            }
        }
    }
}
