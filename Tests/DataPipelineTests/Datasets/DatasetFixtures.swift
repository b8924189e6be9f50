import TestSupport
import Imaging
import DataPipeline
import XCTest

/// Tiny data sets in each layout, written by the tests into a scratch directory.
enum DatasetFixtures {
    /// A small image whose colour encodes `tag`, so a test can tell which file was decoded.
    static func face(_ tag: Int) -> RGBImage {
        RGBImage(width: 8, height: 8, fill: (UInt8(tag * 20 % 256), 100, 200))
    }

    static func writeJPEG(_ scratch: ScratchDirectory, _ relative: String, tag: Int = 0) throws {
        try scratch.write(relative, ImageEncoder.encode(face(tag), as: .jpeg(quality: 90)))
    }

    /// RAF-DB's layout: the partition file with `lines`, and an aligned JPEG for each name in
    /// `images` (names as on the lines, e.g. "train_00001.jpg").
    static func rafdb(_ scratch: ScratchDirectory, lines: [String], images: [String]) throws {
        try scratch.write("basic/EmoLabel/list_patition_label.txt", text: lines.joined(separator: "\n") + "\n")
        for (i, name) in images.enumerated() {
            let stem = name.replacingOccurrences(of: ".jpg", with: "")
            try writeJPEG(scratch, "basic/Image/aligned/\(stem)_aligned.jpg", tag: i)
        }
    }

    /// 48x48 pixel values as FER2013 writes them: space-separated decimals; pixel i is
    /// (i + offset) mod 256.
    static func ferPixels(offset: Int) -> String {
        (0..<2304).map { String(($0 + offset) % 256) }.joined(separator: " ")
    }

    /// `fer2013.csv` and `fer2013new.csv` with one row per entry: (usage, votes).
    static func ferplus(_ scratch: ScratchDirectory, rows: [(usage: String, votes: [Int])],
                        lineEnding: String = "\n") throws {
        var pixels = ["emotion,pixels,Usage"]
        var votes = ["Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"]
        for (i, row) in rows.enumerated() {
            pixels.append("0,\(ferPixels(offset: i)),\(row.usage)")
            votes.append("\(row.usage),fer\(String(format: "%07d", i)).png,\(row.votes.map(String.init).joined(separator: ","))")
        }
        try scratch.write("fer2013.csv", text: pixels.joined(separator: lineEnding) + lineEnding)
        try scratch.write("fer2013new.csv", text: votes.joined(separator: lineEnding) + lineEnding)
    }

    /// Ten votes with `count` for column `column` and the rest spread as given.
    static func votes(_ pairs: [(column: Int, count: Int)]) -> [Int] {
        var v = [Int](repeating: 0, count: 10)
        for (column, count) in pairs { v[column] = count }
        return v
    }

    /// The `DatasetProblems` thrown by `body`, failing the test if it throws something else or nothing.
    static func problems(file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> Any) -> DatasetProblems? {
        do {
            _ = try body()
            XCTFail("expected DatasetProblems, nothing was thrown", file: file, line: line)
        } catch let problems as DatasetProblems {
            return problems
        } catch {
            XCTFail("expected DatasetProblems, got \(error)", file: file, line: line)
        }
        return nil
    }
}
