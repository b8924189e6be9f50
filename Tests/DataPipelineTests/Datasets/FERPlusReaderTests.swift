import TestSupport
import XCTest
@testable import DataPipeline

final class FERPlusReaderTests: XCTestCase {
    func config(_ scratch: ScratchDirectory) -> DatasetConfig { DatasetConfig(kind: .ferplus, root: scratch.path) }

    /// One kept row in each split plus the three kinds of dropped row.
    let rows: [(usage: String, votes: [Int])] = [
        ("Training", DatasetFixtures.votes([(1, 8), (0, 2)])),      // line 2: Happy
        ("Training", DatasetFixtures.votes([(8, 7), (1, 3)])),      // line 3: majority unknown
        ("Training", DatasetFixtures.votes([(0, 5), (3, 5)])),      // line 4: tie
        ("PublicTest", DatasetFixtures.votes([(7, 10)])),           // line 5: Contempt
        ("PrivateTest", DatasetFixtures.votes([(9, 10)])),          // line 6: not a face
        ("PrivateTest", DatasetFixtures.votes([(2, 6), (6, 4)])),   // line 7: Surprise
    ]

    func testFERPlus_majorityLabelsAndUsageSplits() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.ferplus(scratch, rows: rows)
        let data = try DatasetReader(config: config(scratch)).read()
        XCTAssertEqual(data.classNames, ["Neutral", "Happy", "Surprise", "Sad", "Anger", "Disgust", "Fear", "Contempt"])
        XCTAssertEqual(data.samples(.train).map(\.label), [1])
        XCTAssertEqual(data.samples(.validation).map(\.label), [7])
        XCTAssertEqual(data.samples(.test).map(\.label), [2])
        XCTAssertEqual(data.dropped, ["FERPlus: majority unknown": 1, "FERPlus: no majority": 1,
                                      "FERPlus: majority not a face (NF)": 1])
    }

    func testFERPlus_pixelsDecodeInMemoryToGreyRGB() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.ferplus(scratch, rows: rows)
        let data = try DatasetReader(config: config(scratch)).read()
        let test = data.samples(.test)[0]
        // The test sample is the sixth data row (offset 5), on line 7 of fer2013.csv.
        XCTAssertEqual(test.source.description, scratch.path + "/fer2013.csv:7")
        let image = try test.source.load()
        XCTAssertEqual(image.width, 48)
        XCTAssertEqual(image.height, 48)
        for i in [0, 1, 250, 2303] {
            let expected = UInt8((i + 5) % 256)
            XCTAssertEqual(Array(image.pixels[(3 * i)..<(3 * i + 3)]), [expected, expected, expected], "pixel \(i)")
        }
    }

    func testFERPlus_windowsLineEndings_areAccepted() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.ferplus(scratch, rows: rows, lineEnding: "\r\n")
        let data = try DatasetReader(config: config(scratch)).read()
        XCTAssertEqual(data.samples(.test).map(\.label), [2])
        XCTAssertEqual(try data.samples(.test)[0].source.load().pixels.last, UInt8((2303 + 5) % 256))
    }

    func testFERPlus_rowCountsDiffer_isAProblemNamingBothFiles() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.ferplus(scratch, rows: rows)
        try scratch.write("fer2013.csv", text: "emotion,pixels,Usage\n0,\(DatasetFixtures.ferPixels(offset: 0)),Training\n")
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        XCTAssertEqual(problems.problems, [.rowCountMismatch(file: scratch.path + "/fer2013new.csv", rows: 6,
                                                             otherFile: scratch.path + "/fer2013.csv", otherRows: 1)])
    }

    func testFERPlus_badRows_areAllReportedWithLineNumbers() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.ferplus(scratch, rows: rows)
        let good = DatasetFixtures.ferPixels(offset: 0)
        try scratch.write("fer2013.csv", text: [
            "emotion,pixels,Usage",
            "0,\(good),Training",
            "0,\(good),Training",
            "0,\(good),Training",
            "0,\(good),Training",                        // line 5: Usage differs from fer2013new.csv
            "0,\(good) 7,PrivateTest",                   // line 6: dropped (NF), pixels not checked
            "0,\(good.replacingOccurrences(of: "17 ", with: "317 ")),PrivateTest",  // line 7: value above 255
        ].joined(separator: "\n"))
        var votes = try String(contentsOfFile: scratch.file("fer2013new.csv"), encoding: .utf8).components(separatedBy: "\n")
        votes[2] = "Training,fer0000001.png,1,2,x,0,0,0,0,0,0,0"  // line 3: not a number
        votes[3] = "Validation,fer0000002.png,10,0,0,0,0,0,0,0,0,0"  // line 4: unknown usage
        try scratch.write("fer2013new.csv", text: votes.joined(separator: "\n"))

        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        let votesFile = scratch.path + "/fer2013new.csv", pixelsFile = scratch.path + "/fer2013.csv"
        XCTAssertEqual(problems.problems.map(\.category), ["malformed line", "unknown split", "split mismatch", "malformed line"])
        XCTAssertEqual(problems.problems.map(\.file), [votesFile, votesFile, votesFile, pixelsFile])
        XCTAssertEqual(problems.problems.map(\.line), [3, 4, 5, 7])
    }

    func testFERPlus_headerWithoutVoteColumns_isAMalformedHeader() throws {
        let scratch = try ScratchDirectory()
        try DatasetFixtures.ferplus(scratch, rows: rows)
        try scratch.write("fer2013new.csv", text: "Usage,Image name,neutral\nTraining,a.png,10\n")
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        XCTAssertEqual(problems.problems.count, 1)
        XCTAssertEqual(problems.problems.first?.line, 1)
        XCTAssertEqual(problems.problems.first?.category, "malformed line")
    }

    func testFERPlus_missingFiles_areBothReported() throws {
        let scratch = try ScratchDirectory()
        guard let problems = DatasetFixtures.problems({ try DatasetReader(config: self.config(scratch)).read() }) else { return }
        XCTAssertEqual(problems.problems.map(\.file), [scratch.path + "/fer2013.csv", scratch.path + "/fer2013new.csv"])
    }
}
