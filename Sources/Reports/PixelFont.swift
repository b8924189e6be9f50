import Imaging

/// A 5x7 bitmap font (upper-case letters, digits, a little punctuation) for labelling report
/// images without a font library. Lower-case letters are drawn as capitals; a character it does
/// not have is drawn as `?`.
public enum PixelFont {
    public static let glyphWidth = 5
    public static let glyphHeight = 7
    /// Columns from one glyph's left edge to the next (one blank column between glyphs).
    public static let advance = 6

    /// Width in pixels of `text` at `scale`.
    public static func width(of text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    /// Draws `text` with its top-left corner at (x, y); pixels outside the image are clipped.
    public static func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int, scale: Int = 1,
                            color: (UInt8, UInt8, UInt8)) {
        forEachInkPixel(text, scale: scale) { u, v in
            paint(&image, x: x + u, y: y + v, color: color)
        }
    }

    /// Draws `text` turned 90° counter-clockwise (reading upwards, as column labels of a table),
    /// in a box whose top-left corner is (x, y): glyph height wide, `width(of:)` tall.
    public static func drawVertical(_ text: String, into image: inout RGBImage, x: Int, y: Int, scale: Int = 1,
                                    color: (UInt8, UInt8, UInt8)) {
        let length = width(of: text, scale: scale)
        // Along the text (u) runs bottom to top, across it (v) left to right.
        forEachInkPixel(text, scale: scale) { u, v in
            paint(&image, x: x + v, y: y + length - 1 - u, color: color)
        }
    }

    /// Calls `body(u, v)` for every inked pixel of `text` laid out left to right at `scale`:
    /// u along the text, v down from its top.
    private static func forEachInkPixel(_ text: String, scale: Int, _ body: (_ u: Int, _ v: Int) -> Void) {
        for (k, character) in text.uppercased().enumerated() {
            let rows = glyphs[character] ?? glyphs["?"]!
            for (gy, row) in rows.enumerated() {
                for (gx, bit) in row.enumerated() where bit == "#" {
                    for sy in 0..<scale {
                        for sx in 0..<scale { body((k * advance + gx) * scale + sx, gy * scale + sy) }
                    }
                }
            }
        }
    }

    /// One pixel, clipped to the image.
    private static func paint(_ image: inout RGBImage, x: Int, y: Int, color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let i = image.index(x: x, y: y)
        image.pixels[i] = color.0; image.pixels[i + 1] = color.1; image.pixels[i + 2] = color.2
    }

    /// Each glyph as seven rows of five columns, `#` = ink.
    static let glyphs: [Character: [Substring]] = table.mapValues { $0.split(separator: "|") }

    private static let table: [Character: String] = [
        "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#", "B": "####.|#...#|#...#|####.|#...#|#...#|####.",
        "C": ".###.|#...#|#....|#....|#....|#...#|.###.", "D": "####.|#...#|#...#|#...#|#...#|#...#|####.",
        "E": "#####|#....|#....|####.|#....|#....|#####", "F": "#####|#....|#....|####.|#....|#....|#....",
        "G": ".###.|#...#|#....|#.###|#...#|#...#|.####", "H": "#...#|#...#|#...#|#####|#...#|#...#|#...#",
        "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.", "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
        "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#", "L": "#....|#....|#....|#....|#....|#....|#####",
        "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#", "N": "#...#|##..#|#.#.#|#..##|#...#|#...#|#...#",
        "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.", "P": "####.|#...#|#...#|####.|#....|#....|#....",
        "Q": ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#", "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
        "S": ".####|#....|#....|.###.|....#|....#|####.", "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..",
        "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.", "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
        "W": "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.", "X": "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
        "Y": "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..", "Z": "#####|....#|...#.|..#..|.#...|#....|#####",
        "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.", "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
        "2": ".###.|#...#|....#|...#.|..#..|.#...|#####", "3": "####.|....#|....#|.###.|....#|....#|####.",
        "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.", "5": "#####|#....|####.|....#|....#|#...#|.###.",
        "6": "..##.|.#...|#....|####.|#...#|#...#|.###.", "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
        "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.", "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
        " ": ".....|.....|.....|.....|.....|.....|.....", ".": ".....|.....|.....|.....|.....|.##..|.##..",
        ",": ".....|.....|.....|.....|.##..|..#..|.#...", ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
        "-": ".....|.....|.....|#####|.....|.....|.....", "_": ".....|.....|.....|.....|.....|.....|#####",
        "%": "##...|##..#|...#.|..#..|.#...|#..##|...##", "/": ".....|....#|...#.|..#..|.#...|#....|.....",
        "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.", ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
        "'": "..#..|..#..|.#...|.....|.....|.....|.....", "?": ".###.|#...#|....#|...#.|..#..|.....|..#..",
        "=": ".....|.....|#####|.....|#####|.....|.....", "+": ".....|..#..|..#..|#####|..#..|..#..|.....",
    ]
}
