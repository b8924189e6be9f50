import DataPipeline
import Foundation
import XCTest

/// Writes contact sheets for a person to look at (set QCS_PREVIEW_DIR); otherwise only checks
/// the sheet's geometry.
final class SyntheticPreviewTests: XCTestCase {
    func testContactSheet_oneRowPerClassWithItsColourBar() throws {
        let dataset = try SyntheticDataset(options: .init(seed: 1, trainCount: 70, testCount: 0, imageSize: 48))
        let sheet = ContactSheet.make(dataset, split: .train, perClass: 3)
        XCTAssertEqual(sheet.width, 12 + 2 + 3 * (48 + 2))
        XCTAssertEqual(sheet.height, 7 * (48 + 2) + 2)
        for (row, expression) in Expression.allCases.enumerated() {
            let i = sheet.index(x: 5, y: 2 + row * 50 + 20)
            let s = expression.swatch
            XCTAssertEqual([sheet.pixels[i], sheet.pixels[i + 1], sheet.pixels[i + 2]], [s.0, s.1, s.2], "\(expression)")
        }
        if let dir = ProcessInfo.processInfo.environment["QCS_PREVIEW_DIR"] {
            let big = try SyntheticDataset(options: .init(seed: 7, trainCount: 140, testCount: 0))
            let url = URL(fileURLWithPath: dir).appendingPathComponent("synthetic_sheet.ppm")
            try Data(PPM.encode(ContactSheet.make(big, split: .train, perClass: 8))).write(to: url)
            print("wrote \(url.path)")
        }
    }
}
