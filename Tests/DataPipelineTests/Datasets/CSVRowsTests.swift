import XCTest
@testable import DataPipeline

final class CSVRowsTests: XCTestCase {
    func fields(_ text: String) -> [[String]] {
        let csv = CSVRows(bytes: Array(text.utf8))
        return csv.rows.map { $0.fields.map(csv.string) }
    }

    func testCSV_plainRowsWithEmptyFieldsAndTrailingComma() {
        XCTAssertEqual(fields("a,b,c\n1,,3\nx,y,\n"), [["a", "b", "c"], ["1", "", "3"], ["x", "y", ""]])
        XCTAssertEqual(fields("a,"), [["a", ""]])
    }

    func testCSV_quotedFieldsKeepCommasAndLineBreaks_andLineNumbersCountPhysicalLines() {
        let csv = CSVRows(bytes: Array("h1,h2\n\"a,b\",\"two\nlines\"\nlast,row\n".utf8))
        XCTAssertEqual(csv.rows.map { $0.fields.map(csv.string) }, [["h1", "h2"], ["a,b", "two\nlines"], ["last", "row"]])
        XCTAssertEqual(csv.rows.map(\.line), [1, 2, 4])
    }

    func testCSV_windowsEndingsBlankLinesAndByteOrderMark() {
        let csv = CSVRows(bytes: [0xEF, 0xBB, 0xBF] + Array("a,b\r\n\r\n\n1,2\r\n".utf8))
        XCTAssertEqual(csv.rows.map { $0.fields.map(csv.string) }, [["a", "b"], ["1", "2"]])
        XCTAssertEqual(csv.rows.map(\.line), [1, 4])
    }

    func testCSV_pixelList_acceptsOnlyTheExpectedCountOfBytes() {
        let csv = CSVRows(bytes: Array("0 17 255,1 2 256,1 -2,1  2 ".utf8))
        let f = csv.rows[0].fields
        XCTAssertEqual(csv.bytesList(f[0], expected: 3), [0, 17, 255])
        XCTAssertNil(csv.bytesList(f[0], expected: 2))
        XCTAssertNil(csv.bytesList(f[1], expected: 3), "256 is not a byte")
        XCTAssertNil(csv.bytesList(f[2], expected: 2), "signs are not digits")
        XCTAssertEqual(csv.bytesList(f[3], expected: 2), [1, 2], "extra spaces separate, they add nothing")
    }

    func testCSV_integer_refusesAnythingButDigits() {
        let csv = CSVRows(bytes: Array("12,,-1, 3,4x".utf8))
        XCTAssertEqual(csv.rows[0].fields.map(csv.integer), [12, nil, nil, nil, nil])
    }
}
