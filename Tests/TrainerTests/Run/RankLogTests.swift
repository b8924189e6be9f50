import TestSupport
import XCTest
import Foundation
@testable import Trainer

/// A rank's own log: lines said before its file is open are kept and written first, a reopened
/// log is appended to, lines past its level are left out, and every line names its rank.
final class RankLogTests: ScratchTestCase {
    func lines(rank: Int) throws -> [Substring] {
        try String(contentsOfFile: RankLog.path(runDirectory: scratch, rank: rank), encoding: .utf8).split(separator: "\n")
    }

    func testLinesBeforeOpen_areWrittenFirst_andAReopenedLogIsAppendedTo() throws {
        let log = RankLog(rank: 3, level: .info)
        log.info("before open")
        log.debug("too detailed")
        try log.open(runDirectory: scratch)
        log.warning("two\nlines")
        XCTAssertEqual(log.path, scratch + "/logs/rank-00003.log")
        var got = try lines(rank: 3)
        XCTAssertEqual(got.count, 3, "\(got)")
        XCTAssertTrue(got[0].hasSuffix(" rank 3 info before open"), String(got[0]))
        XCTAssertTrue(got[1].hasSuffix(" rank 3 warning two"), String(got[1]))
        XCTAssertTrue(got[2].hasSuffix(" rank 3 warning lines"), String(got[2]))
        XCTAssertNotNil(ISO8601DateFormatter.withFractions.date(from: String(got[0].split(separator: " ")[0])),
                        "each line starts with its time")

        let resumed = RankLog(rank: 3, level: .debug)
        try resumed.open(runDirectory: scratch)
        resumed.debug("after resume")
        got = try lines(rank: 3)
        XCTAssertEqual(got.count, 4)
        XCTAssertTrue(got[3].hasSuffix(" rank 3 debug after resume"))
    }

    func testUnwritableFolder_isAClearError() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: scratch + "/logs", contents: Data("a file".utf8))
        XCTAssertThrowsError(try RankLog(rank: 0).open(runDirectory: scratch)) { error in
            XCTAssertTrue("\(error)".contains("logs"), "\(error)")
        }
    }
}

private extension ISO8601DateFormatter {
    static let withFractions: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
