import TestSupport
import Config
import XCTest
@testable import DataPipeline

final class ListDatasetReaderTests: XCTestCase {
    /// Writes `lines` as `name` under the root and an image for every first field.
    func writeList(_ scratch: ScratchDirectory, _ name: String, _ lines: [String], imageDir: String = "images") throws {
        try scratch.write(name, text: lines.joined(separator: "\n") + "\n")
        for line in lines {
            guard let entry = ListLine(line) else { continue }
            try DatasetFixtures.writeJPEG(scratch, "\(imageDir)/\(entry.name)")
        }
    }

    func affectnet(_ kind: DatasetKind, _ scratch: ScratchDirectory) -> DatasetConfig {
        var c = DatasetConfig(kind: kind, root: scratch.path)
        c.lists.files = [.train: "train.txt", .test: "val.txt"]
        c.lists.imageDir = "images"
        return c
    }

    func testAffectNet7_leavesOutContemptAndCountsIt() throws {
        let scratch = try ScratchDirectory()
        try writeList(scratch, "train.txt", ["a.jpg 0", "b.jpg 7", "c.jpg 6", "d.jpg 7"])
        try writeList(scratch, "val.txt", ["e.jpg 3", "f.jpg 7"])
        let data = try DatasetReader(config: affectnet(.affectnet7, scratch)).read()
        XCTAssertEqual(data.classNames, ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger"])
        XCTAssertEqual(data.samples(.train).map(\.label), [0, 6])
        XCTAssertEqual(data.samples(.test).map(\.label), [3])
        XCTAssertEqual(data.samples(.train).map(\.source), [.file(scratch.path + "/images/a.jpg"), .file(scratch.path + "/images/c.jpg")])
        XCTAssertEqual(data.dropped, ["AffectNet-7: Contempt (label 7) left out": 3])
    }

    func testAffectNet8_keepsContempt() throws {
        let scratch = try ScratchDirectory()
        try writeList(scratch, "train.txt", ["a.jpg 0", "b.jpg 7"])
        try writeList(scratch, "val.txt", ["f.jpg 7"])
        let data = try DatasetReader(config: affectnet(.affectnet8, scratch)).read()
        XCTAssertEqual(data.classNames.last, "Contempt")
        XCTAssertEqual(data.samples(.train).map(\.label), [0, 7])
        XCTAssertTrue(data.dropped.isEmpty)
    }

    func testAffectNet8_rawNonEmotionCodes_areErrorsUnlessIgnored() throws {
        let scratch = try ScratchDirectory()
        try writeList(scratch, "train.txt", ["a.jpg 0", "b.jpg 8", "c.jpg 10"])
        try writeList(scratch, "val.txt", ["f.jpg 1"])
        var c = affectnet(.affectnet8, scratch)
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: c).read() }) else { return }
        XCTAssertEqual(problems.problems.map(\.line), [2, 3])
        XCTAssertEqual(problems.problems.map(\.category), ["unknown label", "unknown label"])
        c.lists.ignoredLabels = [8, 9, 10]
        let data = try DatasetReader(config: c).read()
        XCTAssertEqual(data.samples(.train).map(\.label), [0])
        XCTAssertEqual(data.dropped, ["label 8 left out (ignore_labels)": 1, "label 10 left out (ignore_labels)": 1])
    }

    func testList_problemsOfEveryListFileAreCollectedTogether() throws {
        let scratch = try ScratchDirectory()
        try writeList(scratch, "train.txt", ["a.jpg 0", "b.jpg 3", "just-a-name", "c.jpg 1"])
        try writeList(scratch, "test.txt", ["d.jpg -1", "e.jpg 2", "e.jpg 2"])
        var c = DatasetConfig(kind: .list, root: scratch.path)
        c.lists.files = [.train: "train.txt", .test: "test.txt"]
        c.lists.imageDir = "images"
        c.lists.classNames = ["angry", "happy", "sad"]
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: c).read() }) else { return }
        let train = scratch.path + "/train.txt", test = scratch.path + "/test.txt"
        XCTAssertEqual(problems.problems.map(\.file), [train, train, test, test])
        XCTAssertEqual(problems.problems.map(\.line), [2, 3, 1, 3])
        XCTAssertEqual(problems.problems.map(\.category), ["unknown label", "malformed line", "unknown label", "duplicate image"])
        XCTAssertTrue(problems.report().contains("4 problems"), problems.report())
    }

    func testList_namesWithSpacesAndAbsoluteImageDir() throws {
        let scratch = try ScratchDirectory()
        try writeList(scratch, "lists/train.txt", ["my face 1.png 2", "sub/dir/x.jpg 0"], imageDir: "pics")
        var c = DatasetConfig(kind: .list, root: scratch.path)
        c.lists.files = [.train: "lists/train.txt"]
        c.lists.imageDir = scratch.path + "/pics"
        c.lists.classNames = ["a", "b", "c"]
        let data = try DatasetReader(config: c).read()
        XCTAssertEqual(data.samples(.train), [Sample(source: .file(scratch.path + "/pics/my face 1.png"), label: 2),
                                              Sample(source: .file(scratch.path + "/pics/sub/dir/x.jpg"), label: 0)])
    }

    func testList_invalidConfig_isAConfigErrorBeforeAnyReading() throws {
        var c = DatasetConfig(kind: .list, root: "/nonexistent")
        c.lists.files = [.train: "train.txt"]
        XCTAssertThrowsError(try DatasetReader(config: c).read()) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "data.classes")
        }
    }
}
