import TestSupport
import XCTest
@testable import DataPipeline

final class RAFDBReaderTests: XCTestCase {
    func config(_ scratch: ScratchDirectory) -> DatasetConfig { DatasetConfig(kind: .rafdb, root: scratch.path) }

    func testRAFDB_labelsOneToSevenBecomeZeroToSix_andThePrefixGivesTheSplit() throws {
        let scratch = try ScratchDirectory()
        let names = ["train_00001.jpg", "train_00002.jpg", "test_0001.jpg", "train_00003.jpg"]
        try DatasetFixtures.rafdb(scratch, lines: ["train_00001.jpg 1", "train_00002.jpg 7", "test_0001.jpg 4", "train_00003.jpg 5"],
                                  images: names)
        let data = try DatasetReader(config: config(scratch)).read()
        XCTAssertEqual(data.classNames, ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"])
        XCTAssertEqual(data.samples(.train).map(\.label), [0, 6, 4])
        XCTAssertEqual(data.samples(.test).map(\.label), [3])
        XCTAssertEqual(data.samples(.train).map(\.source),
                       [.file(scratch.path + "/basic/Image/aligned/train_00001_aligned.jpg"),
                        .file(scratch.path + "/basic/Image/aligned/train_00002_aligned.jpg"),
                        .file(scratch.path + "/basic/Image/aligned/train_00003_aligned.jpg")])
        XCTAssertEqual(data.classCounts(.train), [1, 0, 0, 0, 1, 0, 1])
        XCTAssertTrue(data.skipped.isEmpty)
    }

    func testRAFDB_samplesDecodeToTheirOwnImages() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: ["train_00001.jpg 1", "test_0001.jpg 2"],
                                  images: ["train_00001.jpg", "test_0001.jpg"])
        let data = try DatasetReader(config: config(scratch)).read()
        let train = try data.samples(.train)[0].source.load()
        let test = try data.samples(.test)[0].source.load()
        XCTAssertEqual(train.width, 8)
        // face(0) has red 0, face(1) red 20.
        XCTAssertLessThan(abs(Int(train.pixels[0]) - 0), 6)
        XCTAssertLessThan(abs(Int(test.pixels[0]) - 20), 6)
    }

    func testRAFDB_original_readsTheFullPictures() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("basic/EmoLabel/list_patition_label.txt", text: "train_00001.jpg 3\ntest_0001.jpg 3\n")
        try DatasetFixtures.writeJPEG(scratch, "basic/Image/original/train_00001.jpg")
        try DatasetFixtures.writeJPEG(scratch, "basic/Image/original/test_0001.jpg")
        var c = config(scratch)
        c.rafdb.aligned = false
        let data = try DatasetReader(config: c).read()
        XCTAssertEqual(data.samples(.train).map(\.source), [.file(scratch.path + "/basic/Image/original/train_00001.jpg")])
    }

    func testRAFDB_everyBadLineIsReportedWithItsLineNumber() throws {
        let scratch = try ScratchDirectory()
        let lines = [
            "train_00001.jpg 1",      // 1 fine
            "train_00002.jpg",        // 2 no label
            "train_00003.jpg 0",      // 3 label below 1
            "train_00004.jpg 8",      // 4 label above 7
            "train_00005.jpg happy",  // 5 not a number
            "val_00001.jpg 2",        // 6 no split prefix
            "train_00001.jpg 2",      // 7 listed twice
            "train_00009.jpg 2",      // 8 image missing
            "test_0001.jpg 3",        // 9 fine
        ]
        try DatasetFixtures.rafdb(scratch, lines: lines, images: ["train_00001.jpg", "train_00002.jpg", "train_00003.jpg",
                                                                  "train_00004.jpg", "train_00005.jpg", "val_00001.jpg",
                                                                  "test_0001.jpg"])
        let labelFile = scratch.path + "/basic/EmoLabel/list_patition_label.txt"
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        XCTAssertEqual(problems.count, 7)
        XCTAssertEqual(problems.problems.map(\.line), [2, 3, 4, 5, 6, 7, 8])
        XCTAssertTrue(problems.problems.allSatisfy { $0.file == labelFile })
        XCTAssertEqual(problems.problems.map(\.category), ["malformed line", "unknown label", "unknown label", "unknown label",
                                                            "unknown split", "duplicate image", "missing image"])
        XCTAssertEqual(problems.problems[6], .missingImage(image: scratch.path + "/basic/Image/aligned/train_00009_aligned.jpg",
                                                           listedIn: labelFile, line: 8))
        XCTAssertTrue(problems.report().contains("\(labelFile):4: unknown label '8'"), problems.report())
    }

    /// `qcs data check`: a missing image does not hide a corrupt one listed beside it.
    func testReadAll_keepsTheUsableSamplesBesideTheListingProblems_soTheirDecodingCanBeChecked() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: ["train_00001.jpg 1", "train_00002.jpg 2", "train_00003.jpg 4", "test_0001.jpg 3"],
                                  images: ["train_00001.jpg", "train_00003.jpg", "test_0001.jpg"])
        try scratch.write("basic/Image/aligned/train_00003_aligned.jpg", text: "not a JPEG")
        let (data, problems) = try DatasetReader(config: config(scratch)).readAll()
        XCTAssertEqual(problems.map(\.category), ["missing image"])
        XCTAssertEqual(data.samples(.train).map(\.label), [0, 3])
        let unreadable = data.unreadableImages(in: [.train, .test]) { _, _ in }
        XCTAssertEqual(unreadable.count, 1)
        XCTAssertTrue("\(unreadable[0])".contains("train_00003_aligned.jpg"), "\(unreadable)")
        XCTAssertThrowsError(try DatasetReader(config: config(scratch)).read(), "read() still refuses a listing problem")
    }

    func testRAFDB_missingImageUnderSkip_isLeftOutAndListed() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: ["train_00001.jpg 1", "train_00002.jpg 2", "test_0001.jpg 3"],
                                  images: ["train_00001.jpg", "test_0001.jpg"])
        var c = config(scratch)
        c.onBadImage = .skip
        let data = try DatasetReader(config: c).read()
        XCTAssertEqual(data.samples(.train).map(\.label), [0])
        XCTAssertEqual(data.skipped.map(\.line), [2])
    }

    func testRAFDB_withoutFileChecks_listsImagesThatAreNotThere() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: ["train_00001.jpg 1", "test_0001.jpg 3"], images: [])
        var c = config(scratch)
        c.checkFiles = false
        let data = try DatasetReader(config: c).read()
        XCTAssertEqual(data.samples(.train).count + data.samples(.test).count, 2)
    }

    func testRAFDB_missingLabelFile_isAProblemNamingIt() throws {
        let scratch = try ScratchDirectory()
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        XCTAssertEqual(problems.problems.first?.category, "unreadable file")
        XCTAssertEqual(problems.problems.first?.file, scratch.path + "/basic/EmoLabel/list_patition_label.txt")
    }

    func testRAFDB_noTestLines_isAnEmptySplitProblem() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: ["train_00001.jpg 1"], images: ["train_00001.jpg"])
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        XCTAssertEqual(problems.problems, [.emptySplit(split: .test, source: scratch.path + "/basic/EmoLabel/list_patition_label.txt")])
    }

    /// A line that is not UTF-8 is that line's problem, not a "missing image" of a name made of
    /// replacement characters; the other lines are read.
    func testRAFDB_aLineThatIsNotUTF8_isNamedAsSuch() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: [], images: ["train_00001.jpg", "test_0001.jpg"])
        let list = "basic/EmoLabel/list_patition_label.txt"
        try scratch.write(list, Array("train_00001.jpg 2\ntrain_".utf8) + [0xFF, 0xFE] + Array("02.jpg 3\ntest_0001.jpg 6\n".utf8))
        let (data, problems) = try DatasetReader(config: config(scratch)).readAll()
        XCTAssertEqual(problems, [.malformedLine(file: scratch.path + "/" + list, line: 2, expected: "UTF-8 text",
                                                 found: "byte 0xFF at column 7")])
        XCTAssertEqual(data.samples(.train).map(\.label), [1])
        XCTAssertEqual(data.samples(.test).map(\.label), [5])
    }

    /// A root that is not there is one problem, the root, not every file of the listing.
    func testRAFDB_aRootThatIsNotThere_isTheOneProblem() throws {
        let scratch = try ScratchDirectory()
        for (root, text) in [(scratch.path + "/nowhere", "no such folder"), (try scratch.write("a-file", text: "x"), "a file, not")] {
            XCTAssertThrowsError(try DatasetReader(config: DatasetConfig(kind: .rafdb, root: root)).readAll()) {
                guard let problems = $0 as? DatasetProblems else { return XCTFail("\($0)") }
                XCTAssertEqual(problems.problems.map(\.file), [root])
                XCTAssertTrue("\(problems)".contains(text) && "\(problems)".contains("--data-root"), "\(problems)")
            }
        }
    }

    func testRAFDB_windowsLineEndingsAndByteOrderMark_areAccepted() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.rafdb(scratch, lines: [], images: ["train_00001.jpg", "test_0001.jpg"])
        try scratch.write("basic/EmoLabel/list_patition_label.txt", text: "\u{FEFF}train_00001.jpg 2\r\n\r\ntest_0001.jpg 6\r\n")
        let data = try DatasetReader(config: config(scratch)).read()
        XCTAssertEqual(data.samples(.train).map(\.label), [1])
        XCTAssertEqual(data.samples(.test).map(\.label), [5])
    }
}
