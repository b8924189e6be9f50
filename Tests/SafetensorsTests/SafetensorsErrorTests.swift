import Autograd
import Foundation
import XCTest
@testable import Safetensors

/// Every malformed input must surface as a `SafetensorsError` naming the file, never a trap.
final class SafetensorsErrorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Opens `path` and returns the error, failing the test if there was none.
    func openError(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> SafetensorsError? {
        do {
            _ = try SafetensorsFile(path: path)
            XCTFail("expected an error", file: file, line: line)
        } catch let error as SafetensorsError {
            XCTAssertTrue(error.description.contains(path), "message names the file: \(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
        }
        return nil
    }

    func raw(_ header: String, data: [UInt8] = [], headerLength: UInt64? = nil) throws -> String {
        try RawFile.write(in: directory, header: header, data: data, headerLength: headerLength)
    }

    let entry = #""x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
    let eightBytes = [UInt8](repeating: 0, count: 8)

    func testMissingFileAndDirectory_cannotOpen() {
        let missing = directory.appendingPathComponent("nope.safetensors").path
        guard case .cannotOpen = openError(missing) else { return XCTFail() }
        guard case .cannotOpen = openError(directory.path) else { return XCTFail() }
    }

    func testEmptyAndShortFiles_truncatedHeader() throws {
        for count in [0, 1, 7] {
            let p = try RawFile.write(in: directory, bytes: [UInt8](repeating: 1, count: count))
            XCTAssertEqual(openError(p), .truncatedHeader(path: p, fileSize: count))
        }
    }

    func testHeaderLengthBeyondFile() throws {
        let p = try raw("{}", headerLength: 3)
        XCTAssertEqual(openError(p), .headerLengthBeyondFile(path: p, headerLength: 3, fileSize: 10))
        let huge = try raw("{}", headerLength: .max)
        guard case .headerLengthBeyondFile = openError(huge) else { return XCTFail() }
    }

    func testGarbage_badJSON() throws {
        for header in ["not json at all", "[1, 2]", "{\"x\": ", "\u{0}\u{1}\u{2}"] {
            guard case .badJSON = openError(try raw(header)) else { return XCTFail(header) }
        }
        var random = SeededRNG(seed: 9)
        let noise = (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        guard case .badJSON = openError(try raw(String(decoding: noise, as: UTF8.self))) else { return XCTFail() }
    }

    func testMetadata_mustBeStrings() throws {
        guard case .badMetadata = openError(try raw(#"{"__metadata__":{"a":1}}"#)) else { return XCTFail() }
        guard case .badMetadata = openError(try raw(#"{"__metadata__":[]}"#)) else { return XCTFail() }
    }

    func testMalformedEntries_badEntry() throws {
        let headers = [
            #"{"x":3}"#,
            #"{"x":{"shape":[2],"data_offsets":[0,8]}}"#,
            #"{"x":{"dtype":"F32","data_offsets":[0,8]}}"#,
            #"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
            #"{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,
            #"{"x":{"dtype":"F32","shape":[2]}}"#,
            #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
            #"{"x":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}"#,
            #"{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
        ]
        for h in headers {
            guard case .badEntry(_, "x", _) = openError(try raw(h, data: eightBytes)) else { return XCTFail(h) }
        }
    }

    func testUnknownDType() throws {
        let p = try raw(#"{"x":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes)
        XCTAssertEqual(openError(p), .unknownDType(path: p, tensor: "x", dtype: "F33"))
    }

    func testOffsetsOutOfRange() throws {
        let past = try raw(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: eightBytes)
        XCTAssertEqual(openError(past), .offsetsOutOfRange(path: past, tensor: "x", begin: 4, end: 12, dataSize: 8))
        let negative = try raw(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, data: eightBytes)
        guard case .offsetsOutOfRange = openError(negative) else { return XCTFail() }
        let reversed = try raw(#"{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: eightBytes)
        guard case .offsetsOutOfRange = openError(reversed) else { return XCTFail() }
    }

    func testOverlappingTensors() throws {
        let p = try raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                        data: eightBytes + [0, 0, 0, 0])
        XCTAssertEqual(openError(p), .overlappingTensors(path: p, first: "a", second: "b"))
    }

    func testEmptyTensorInsideAnother_isNotAnOverlap() throws {
        let p = try raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#,
                        data: eightBytes)
        XCTAssertEqual(try SafetensorsFile(path: p).tensorNames, ["a", "e"])
    }

    func testByteCountMismatch() throws {
        let p = try raw(#"{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes)
        XCTAssertEqual(openError(p), .byteCountMismatch(path: p, tensor: "x", shape: [2], dtype: "F16", expected: 4, found: 8))
    }

    func testMissingTensorAndUnsupportedDType_failOnRead() throws {
        let p = try raw(#"{"m":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}}"#, data: eightBytes)
        let file = try SafetensorsFile(path: p)
        XCTAssertThrowsError(try file.tensor(named: "m")) {
            XCTAssertEqual($0 as? SafetensorsError, .unsupportedDType(path: p, tensor: "m", dtype: "BOOL"))
        }
        XCTAssertThrowsError(try file.tensor(named: "w")) {
            XCTAssertEqual($0 as? SafetensorsError, .missingTensor(path: p, tensor: "w", available: ["m"]))
        }
        XCTAssertThrowsError(try file.shape(of: "w"))
        XCTAssertThrowsError(try file.integers(named: "m"))
    }

    func testWriter_rejectsBadRequestsAndLeavesNoFiles() throws {
        let p = directory.appendingPathComponent("out.safetensors").path
        let x = Tensor(shape: [1], values: [1])
        XCTAssertThrowsError(try SafetensorsWriter(path: p).write([("a", x), ("a", x)])) {
            XCTAssertEqual($0 as? SafetensorsError, .duplicateName(path: p, tensor: "a"))
        }
        XCTAssertThrowsError(try SafetensorsWriter(path: p).write([("__metadata__", x)])) {
            XCTAssertEqual($0 as? SafetensorsError, .reservedName(path: p))
        }
        XCTAssertThrowsError(try SafetensorsWriter(path: p, dtype: .i64).write([("a", x)])) {
            XCTAssertEqual($0 as? SafetensorsError, .unwritableDType(path: p, dtype: "I64"))
        }
        let nowhere = directory.appendingPathComponent("missing/dir/out.safetensors").path
        XCTAssertThrowsError(try SafetensorsWriter(path: nowhere).write([("a", x)])) {
            guard case .writeFailed(_, "create", _) = $0 as? SafetensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testMessages_sayWhatToDo() {
        let e = SafetensorsError.truncatedHeader(path: "/tmp/m.safetensors", fileSize: 3)
        XCTAssertEqual(e.localizedDescription, e.description)
        XCTAssertTrue(e.description.contains("export it again"))
    }
}
