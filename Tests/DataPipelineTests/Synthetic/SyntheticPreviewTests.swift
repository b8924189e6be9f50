import Imaging
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
            let augmented = dir + "/augmented_sheet.ppm"
            try Data(PPM.encode(try augmentedSheet(big.image(.train, index: 0)))).write(to: URL(fileURLWithPath: augmented))
            print("wrote \(augmented)")
        }
    }

    /// One row per training recipe (RAF-DB, FERPlus, AffectNet) of eight augmentations of the
    /// same face, normalisation undone so erased patches show as the mean colour.
    private func augmentedSheet(_ face: RGBImage) throws -> RGBImage {
        var rows: [[RGBImage]] = []
        for kind in AugmentationRecipe.Kind.allCases {
            let recipe = try AugmentationRecipe(kind: kind, options: .init(training: true, outputSize: 112))
            var row: [RGBImage] = []
            for sample in 0..<8 {
                var rng = AugmentationRecipe.rng(seed: 1, epoch: 0, sample: sample, branch: 0)
                var floats = [Float](repeating: 0, count: recipe.floatsPerImage)
                floats.withUnsafeMutableBufferPointer { recipe.apply(to: face, &rng, into: $0) }
                let plane = 112 * 112, n = recipe.normalization
                var pixels = [UInt8](repeating: 0, count: plane * 3)
                for c in 0..<3 {
                    for p in 0..<plane {
                        let v = (floats[c * plane + p] * n.std[c] + n.mean[c]) * 255
                        pixels[p * 3 + c] = UInt8(max(0, min(255, v.rounded())))
                    }
                }
                row.append(RGBImage(width: 112, height: 112, pixels: pixels))
            }
            rows.append(row)
        }
        return ContactSheet.make(rows: rows, barColors: [(200, 200, 200), (120, 120, 120), (60, 60, 60)], cell: 112)
    }
}
