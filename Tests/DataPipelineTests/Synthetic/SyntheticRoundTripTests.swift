import Imaging
import DataPipeline
import Foundation
import XCTest

/// The synthetic set written with the pipeline's JPEG encoder reads back through the RAF-DB
/// reader with the same labels and (up to JPEG loss) the same pixels.
final class SyntheticRoundTripTests: XCTestCase {
    func testWriteJPEG_readsBackThroughTheRAFDBReader() throws {
        let dataset = try SyntheticDataset(options: .init(seed: 9, trainCount: 14, testCount: 7, imageSize: 48))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("qcs-synth-rt-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        try dataset.write(to: root)

        let read = try DatasetReader(config: DatasetConfig(kind: .rafdb, root: root.path)).read()
        XCTAssertEqual(read.classNames, Expression.allCases.map(\.description))
        for (split, readSplit) in [(SyntheticDataset.Split.train, DatasetSplit.train), (.test, .test)] {
            let samples = read.samples(readSplit)
            XCTAssertEqual(samples.map(\.label), dataset.labels(split).map(\.rawValue), "\(split)")
            let decoded = try samples[0].source.load()
            let original = dataset.image(split, index: 0)
            XCTAssertEqual(decoded.width, 48)
            func meanError(_ other: RGBImage) -> Double {
                zip(decoded.pixels, other.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(other.pixels.count)
            }
            // JPEG (4:2:0) smooths the drawn sensor noise, so a few levels of mean error are
            // expected; another face is tens of levels away.
            XCTAssertLessThan(meanError(original), 8)
            XCTAssertGreaterThan(meanError(dataset.image(split, index: 1)), 3 * meanError(original))
        }
    }

    func testDatasetKinds_mapToTheReleasedRecipeAndRule() {
        XCTAssertEqual(AugmentationRecipe.Kind(.rafdb), .rafdb)
        XCTAssertEqual(AugmentationRecipe.Kind(.ferplus), .ferplus)
        XCTAssertEqual(AugmentationRecipe.Kind(.affectnet7), .affectnet)
        XCTAssertEqual(AugmentationRecipe.Kind(.affectnet8), .affectnet)
        XCTAssertNil(AugmentationRecipe.Kind(.folders))
        XCTAssertEqual(SamplingRule(.affectnet8), .classBalanced)
        XCTAssertEqual(SamplingRule(.rafdb), .everyImageOnce)
        XCTAssertEqual(SamplingRule(.ferplus), .everyImageOnce)
    }
}
