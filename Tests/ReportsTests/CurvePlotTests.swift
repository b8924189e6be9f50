import XCTest
@testable import Imaging
@testable import Reports

final class CurvePlotTests: XCTestCase {
    func testSeries_areDrawnInTheirColours_insideTheFrame() {
        let rising = CurvePlot.Series(name: "a", color: CurvePlot.red, points: (0...50).map { (Double($0), Double($0) / 50) })
        let plot = CurvePlot(title: "T", xLabel: "STEP", series: [rising], yRange: 0...1)
        let image = plot.render()
        XCTAssertEqual(image.width, plot.width)
        // The last point (50, 1.0) is the frame's top-right corner.
        let f = plot.frame
        let i = image.index(x: plot.px(50, plot.xBounds), y: plot.py(1, 0...1))
        XCTAssertEqual([image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]],
                       [CurvePlot.red.0, CurvePlot.red.1, CurvePlot.red.2])
        XCTAssertEqual(plot.py(1, 0...1), f.y)
        XCTAssertEqual(plot.py(0, 0...1), f.y + f.height - 1)
    }

    func testNonFinitePoints_areLeftOut_andEmptySeriesDrawAFrame() {
        let s = CurvePlot.Series(name: "x", color: CurvePlot.blue, points: [(0, 1), (1, .nan), (2, .infinity), (3, 2)])
        XCTAssertEqual(s.points.count, 2)
        let empty = CurvePlot(title: "EMPTY", xLabel: "STEP", series: [])
        XCTAssertEqual(empty.render().pixels.count, empty.width * empty.height * 3)
    }

    func testTicks_areRoundNumbersCoveringTheRange() {
        XCTAssertEqual(CurvePlot.tickStep(0...1), 0.2)
        XCTAssertEqual(CurvePlot.tickStep(0...1234), 500)
        XCTAssertEqual(CurvePlot.bounds([0.13, 1.94], floor: nil), 0.0...2.0)
        let ticks = CurvePlot.ticks(0...1)
        XCTAssertEqual(ticks.count, 6)
        for (tick, expected) in zip(ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]) { XCTAssertEqual(tick, expected, accuracy: 1e-12) }
        XCTAssertEqual(CurvePlot.label(0.4, step: 0.2), "0.4")
        XCTAssertEqual(CurvePlot.label(1500, step: 500), "1500")
    }
}
