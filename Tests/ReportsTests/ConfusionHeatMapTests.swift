import XCTest
@testable import Imaging
@testable import Reports

final class ConfusionHeatMapTests: XCTestCase {
    func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let i = image.index(x: x, y: y)
        return Array(image.pixels[i..<(i + 3)])
    }

    func rgb(_ c: (UInt8, UInt8, UInt8)) -> [UInt8] { [c.0, c.1, c.2] }

    func testCells_coloredByShareOfTheirRow() {
        let map = ConfusionHeatMap(matrix: ConfusionMatrix(rows: [[3, 1], [0, 4]])!, classNames: ["Happy", "Sad"])
        let image = map.render()
        XCTAssertEqual(image.width, map.width)
        XCTAssertEqual(image.height, map.height)
        for (t, p, share) in [(0, 0, 0.75), (0, 1, 0.25), (1, 0, 0.0), (1, 1, 1.0)] {
            XCTAssertEqual(map.share(truth: t, predicted: p), share)
            let box = map.cellBox(truth: t, predicted: p)
            // The cell's corner is background fill; text sits in the middle.
            XCTAssertEqual(pixel(image, box.x + 2, box.y + 2), rgb(map.scale.color(at: share)), "cell \(t),\(p)")
        }
        XCTAssertNotEqual(rgb(map.scale.color(at: 0)), rgb(map.scale.color(at: 1)))
    }

    func testCells_carryReadableTextInTheContrastingColor() {
        let map = ConfusionHeatMap(matrix: ConfusionMatrix(rows: [[0, 0], [0, 88]])!, classNames: ["A", "B"])
        let image = map.render()
        let full = map.cellBox(truth: 1, predicted: 1), empty = map.cellBox(truth: 0, predicted: 1)
        func inkPixels(_ box: ConfusionHeatMap.Box, _ color: [UInt8]) -> Int {
            var n = 0
            for y in box.y..<(box.y + box.height) {
                for x in box.x..<(box.x + box.width) where pixel(image, x, y) == color { n += 1 }
            }
            return n
        }
        // Dark cell (100 %): white digits; light cell (0 %): dark digits.
        XCTAssertEqual(rgb(ColorScale.textColor(on: map.scale.color(at: 1))), [255, 255, 255])
        XCTAssertGreaterThan(inkPixels(full, [255, 255, 255]), 50)
        XCTAssertGreaterThan(inkPixels(empty, rgb(ColorScale.textColor(on: map.scale.color(at: 0)))), 20)
    }

    func testScaleBar_runsFromFullAtTheTopToEmptyAtTheBottom() {
        let map = ConfusionHeatMap(matrix: ConfusionMatrix(rows: [[1, 0], [0, 1]])!, classNames: ["A", "B"])
        let image = map.render(), bar = map.scaleBarBox
        XCTAssertEqual(pixel(image, bar.x + 3, bar.y), rgb(map.scale.color(at: 1)))
        XCTAssertEqual(pixel(image, bar.x + 3, bar.y + bar.height - 1), rgb(map.scale.color(at: 0)))
        XCTAssertLessThanOrEqual(bar.x + bar.width, image.width)
    }

    func testLongNamesAndLargeCounts_widenTheLayoutAndEncodeAsPNG() throws {
        let small = ConfusionHeatMap(matrix: ConfusionMatrix(rows: [[1]])!, classNames: ["A"])
        let large = ConfusionHeatMap(matrix: ConfusionMatrix(rows: [[123_456]])!, classNames: ["Happiness and more"])
        XCTAssertGreaterThan(large.cell, small.cell)
        XCTAssertGreaterThan(large.gridX, small.gridX)
        let bytes = try ImageEncoder.encode(large.render(), as: .png)
        let back = try ImageDecoder().decode(bytes, source: "heat map")
        XCTAssertEqual([back.width, back.height], [large.width, large.height])
    }

    func testPixelFont_widthAndVerticalTextIsTheTransposeOfHorizontal() {
        XCTAssertEqual(PixelFont.width(of: "AB", scale: 2), 22)
        XCTAssertEqual(PixelFont.width(of: ""), 0)
        var across = RGBImage(width: 20, height: 20), up = RGBImage(width: 20, height: 20)
        PixelFont.draw("L7", into: &across, x: 0, y: 0, color: (255, 255, 255))
        PixelFont.drawVertical("L7", into: &up, x: 0, y: 0, color: (255, 255, 255))
        let width = PixelFont.width(of: "L7")
        for y in 0..<PixelFont.glyphHeight {
            for x in 0..<width {
                // Column x of the horizontal text is row (width − 1 − x) of the upward text.
                XCTAssertEqual(pixel(across, x, y), pixel(up, y, width - 1 - x), "(\(x), \(y))")
            }
        }
        // "L" has its vertical stroke in column 0 and its foot along row 6.
        XCTAssertEqual(pixel(across, 0, 0), [255, 255, 255])
        XCTAssertEqual(pixel(across, 4, 6), [255, 255, 255])
        XCTAssertEqual(pixel(across, 4, 0), [0, 0, 0])
    }

    func testColorScale_endpointsAreTheAnchorsAndInputIsClamped() {
        let s = ColorScale.blues
        XCTAssertEqual(rgb(s.color(at: 0)), rgb(s.anchors[0]))
        XCTAssertEqual(rgb(s.color(at: 1)), rgb(s.anchors[s.anchors.count - 1]))
        XCTAssertEqual(rgb(s.color(at: -3)), rgb(s.color(at: 0)))
        XCTAssertEqual(rgb(s.color(at: .nan)), rgb(s.color(at: 0)))
    }
}
