import XCTest
@testable import DataPipeline

final class DatasetProblemsTests: XCTestCase {
    let problems = DatasetProblems(dataset: "list data set at /d", problems: [
        .unknownLabel(file: "/d/a.txt", line: 3, label: "9", allowed: "0–2"),
        .malformedLine(file: "/d/a.txt", line: 5, expected: "'name label'", found: String(repeating: "x", count: 200)),
        .unknownLabel(file: "/d/b.txt", line: 1, label: "-1", allowed: "0–2"),
        .missingImage(image: "/d/i/q.jpg", listedIn: "/d/b.txt", line: 7),
    ])

    func testReport_startsWithTheCountsByCategory() {
        let first = problems.report().components(separatedBy: "\n")[0]
        XCTAssertEqual(first, "4 problems in the list data set at /d (2 unknown label, 1 malformed line, 1 missing image):")
    }

    func testReport_listsEveryProblemAsFileLine() {
        let lines = problems.report().components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[1].hasPrefix("  /d/a.txt:3: unknown label '9'"), lines[1])
        XCTAssertTrue(lines[4].hasPrefix("  /d/b.txt:7: image /d/i/q.jpg"), lines[4])
        XCTAssertLessThan(lines[2].count, 150, "long file content is clipped")
    }

    func testReport_withLimit_saysHowManyMore() {
        let lines = problems.report(limit: 1).components(separatedBy: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[2].contains("3 more"), lines[2])
    }
}
