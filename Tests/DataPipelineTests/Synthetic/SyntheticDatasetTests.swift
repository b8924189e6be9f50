@testable import DataPipeline
import Foundation
import XCTest

final class SyntheticDatasetTests: XCTestCase {
    private func dataset(seed: UInt64 = 3, train: Int = 21, test: Int = 7, size: Int = 32,
                         proportions: [Double] = [Double](repeating: 1, count: 7)) throws -> SyntheticDataset {
        try SyntheticDataset(options: .init(seed: seed, trainCount: train, testCount: test, imageSize: size,
                                            classProportions: proportions))
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qcs-synth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    // MARK: - Determinism

    func testImage_isAFunctionOfSeedSplitAndIndexOnly() throws {
        let a = try dataset(), b = try dataset(train: 300, test: 40)
        for i in [0, 5, 20] {
            XCTAssertEqual(a.image(.train, index: i), b.image(.train, index: i), "growing the set keeps image \(i)")
            XCTAssertEqual(a.label(.train, index: i), b.label(.train, index: i))
        }
        XCTAssertEqual(a.image(.test, index: 3), try dataset().image(.test, index: 3))
        XCTAssertNotEqual(a.image(.train, index: 0), a.image(.train, index: 1))
        XCTAssertNotEqual(a.image(.train, index: 0), a.image(.test, index: 0))
        XCTAssertNotEqual(a.image(.train, index: 0), try dataset(seed: 4).image(.train, index: 0))
        XCTAssertEqual(a.image(.train, index: 2).width, 32)
    }

    /// Not flat colour: the face has structure at the scale of its features.
    func testImage_hasContrastAndVariesAcrossTheFrame() throws {
        let img = try dataset(size: 48).image(.train, index: 0)
        let values = img.pixels.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        XCTAssertGreaterThan(sd, 15)
    }

    // MARK: - Labels and counts

    func testLabels_exactClassCountsPerBlock() throws {
        let d = try dataset(train: 280, test: 0)
        var counts = [Int](repeating: 0, count: 7)
        for e in d.labels(.train) { counts[e.rawValue] += 1 }
        XCTAssertEqual(counts, [Int](repeating: 40, count: 7))
        XCTAssertNotEqual(d.labels(.train).prefix(14).map(\.rawValue), Array(0..<7) + Array(0..<7), "shuffled")
    }

    func testLabels_followRAFProportions() throws {
        let d = try dataset(train: 1400, test: 0, proportions: SyntheticDataset.Options.rafdbProportions)
        var counts = [Int](repeating: 0, count: 7)
        for e in d.labels(.train) { counts[e.rawValue] += 1 }
        let total = SyntheticDataset.Options.rafdbProportions.reduce(0, +)
        for c in 0..<7 {
            let expected = 1400 * SyntheticDataset.Options.rafdbProportions[c] / total
            XCTAssertEqual(Double(counts[c]), expected, accuracy: 10 + 0.5, "class \(c)")
        }
        XCTAssertEqual(counts.reduce(0, +), 1400)
    }

    func testApportion_sumsExactlyAndRoundsByLargestRemainder() {
        XCTAssertEqual(SyntheticDataset.apportion(10, proportions: [1, 1, 1]), [4, 3, 3])
        XCTAssertEqual(SyntheticDataset.apportion(7, proportions: [0, 5, 2]), [0, 5, 2])
        XCTAssertEqual(SyntheticDataset.apportion(140, proportions: SyntheticDataset.Options.rafdbProportions).reduce(0, +), 140)
    }

    func testOptions_rejectNonsense() {
        XCTAssertThrowsError(try dataset(train: 0, test: 0))
        XCTAssertThrowsError(try dataset(size: 8))
        XCTAssertThrowsError(try dataset(proportions: [1, 1, 1])) { error in
            XCTAssertTrue("\(error)".contains("class proportions"), "\(error)")
        }
        XCTAssertThrowsError(try dataset(proportions: [1, 1, 1, 1, 1, 1, -1]))
    }

    // MARK: - Layout on disk

    func testWrite_rafLayoutListFileAndImages() throws {
        let d = try dataset(train: 12, test: 5, size: 24)
        let root = try temporaryDirectory()
        try d.write(to: root, fileExtension: "ppm", encode: { PPM.encode($0) })
        let list = try String(contentsOf: root.appendingPathComponent("basic/EmoLabel/list_patition_label.txt"), encoding: .utf8)
        let lines = list.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 17)
        XCTAssertEqual(lines[0], "train_00001.ppm \(d.label(.train, index: 0).rafLabel)")
        XCTAssertEqual(lines[12], "test_0001.ppm \(d.label(.test, index: 0).rafLabel)")
        for (k, line) in lines.enumerated() {
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 2)
            let label = try XCTUnwrap(Int(parts[1]))
            XCTAssertTrue((1...7).contains(label))
            let split: SyntheticDataset.Split = k < 12 ? .train : .test
            let index = k < 12 ? k : k - 12
            XCTAssertEqual(label, d.label(split, index: index).rafLabel)
            let file = root.appendingPathComponent("basic/Image/aligned")
                .appendingPathComponent(parts[0].replacingOccurrences(of: ".ppm", with: "_aligned.ppm"))
            let decoded = PPM.decode([UInt8](try Data(contentsOf: file)))
            XCTAssertEqual(decoded, d.image(split, index: index), file.lastPathComponent)
        }
    }

    func testNames_widenWhenTheCountNeedsMoreDigits() throws {
        let d = try dataset(train: 1, test: 12_345, size: 16)
        XCTAssertEqual(d.listName(.test, index: 0), "test_00001.jpg")
        XCTAssertEqual(d.alignedFileName(.test, index: 12_344), "test_12345_aligned.jpg")
        XCTAssertEqual(d.listName(.train, index: 0), "train_00001.jpg")
    }

    func testWrite_encoderFailureNamesTheFirstFile() throws {
        struct Refused: Error {}
        let root = try temporaryDirectory()
        XCTAssertThrowsError(try dataset(train: 3, test: 0, size: 16).write(to: root) { _ in throw Refused() }) { error in
            guard case .encoderFailed(let path, _)? = error as? SyntheticDatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("basic/Image/aligned/train_00001_aligned.jpg"), path)
        }
    }

    func testWrite_unwritableRootIsReported() throws {
        let root = try temporaryDirectory()
        let blocker = root.appendingPathComponent("file")
        try Data([1]).write(to: blocker)
        XCTAssertThrowsError(try dataset(train: 1, test: 0, size: 16).write(to: blocker, encode: { PPM.encode($0) })) { error in
            guard case .cannotCreateDirectory? = error as? SyntheticDatasetError else { return XCTFail("\(error)") }
        }
    }
}
