import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed

/// A manifest is checked once, where it is read, for every reader: one that is not exactly JSON,
/// or whose names, counts and ranges do not add up, is unreadable, never trusted half-way.
final class ManifestValidationTests: ScratchTestCase {
    /// A two-rank checkpoint of two buffers with a tensor table.
    func save() throws -> String {
        let root = scratch
        return try InProcessWorld.run(size: 2) { comm -> String in
            let parameters = Tensor(shape: [1_001], values: (0..<1_001).map(Float.init))
            let buffers = Tensor(shape: [3], values: [1, 2, 3])
            return try ShardedCheckpoint.save([CheckpointBuffer(name: "parameters", tensor: parameters),
                                               CheckpointBuffer(name: "buffers", tensor: buffers)],
                                              tensors: [.init(name: "w", shape: [10, 100], buffer: "parameters", offset: 1),
                                                        .init(name: "s", shape: [3], buffer: "buffers", offset: 0)],
                                              step: 5, metadata: [:], root: root, over: comm, frameBytes: 256)
        }[0]
    }

    /// Edits the saved manifest as JSON, then asserts every reader refuses it with `text`.
    func assertRefused(_ text: String, file: StaticString = #filePath, line: UInt = #line,
                       _ edit: (inout [String: Any]) -> Void) throws {
        let directory = try save()
        let path = directory + "/manifest.json"
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        assertEveryReaderRefuses(directory, text, file: file, line: line)
        try FileManager.default.removeItem(atPath: scratch)
    }

    func assertEveryReaderRefuses(_ directory: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let readers: [(String, () throws -> Void)] = [
            ("read", { _ = try CheckpointManifest.read(directory) }),
            ("verify", { _ = try ShardedCheckpoint.verify(directory) }),
            ("contents (export, reshard)", { _ = try CheckpointContents(directory: directory) }),
            ("load", { _ = try ShardedCheckpoint.load(directory, into: []) }),
        ]
        for (name, read) in readers {
            XCTAssertThrowsError(try read(), name, file: file, line: line) {
                guard case CheckpointError.manifestUnreadable(let path, let reason) = $0 else {
                    return XCTFail("\(name): \($0)", file: file, line: line)
                }
                XCTAssertEqual(path, directory + "/manifest.json", file: file, line: line)
                XCTAssertTrue(reason.contains(text), "\(name): \(reason)", file: file, line: line)
            }
        }
    }

    func testAManifestAsSaved_passes() throws {
        let directory = try save()
        XCTAssertNil(try CheckpointManifest.read(directory).structuralProblem())
        XCTAssertEqual(try ShardedCheckpoint.verify(directory), [])
    }

    func testDuplicateNames_areRefused() throws {
        try assertRefused("buffer 'parameters' is listed twice") { json in
            var buffers = json["buffers"] as! [[String: Any]]
            buffers.append(buffers[0])
            json["buffers"] = buffers
        }
        try assertRefused("tensor 'w' is listed twice") { json in
            var tensors = json["tensors"] as! [[String: Any]]
            tensors.append(tensors[0])
            json["tensors"] = tensors
        }
    }

    /// The count the shards do not hold: resharding it would invent elements.
    func testABufferCountTheShardsDoNotCover_isRefused() throws {
        try assertRefused("buffer 'parameters' has 1011 elements, its shards hold 1001") { json in
            var buffers = json["buffers"] as! [[String: Any]]
            buffers[0]["count"] = 1_011
            json["buffers"] = buffers
        }
    }

    func testOverlappingOrMissingRanges_andRangesPastTheShard_areRefused() throws {
        try assertRefused("are in two shards") { json in
            var shards = json["shards"] as! [[String: Any]]
            var ranges = shards[1]["ranges"] as! [[String: Any]]
            ranges[0]["lower"] = (ranges[0]["lower"] as! Int) - 10
            ranges[0]["upper"] = (ranges[0]["upper"] as! Int) - 10
            shards[1]["ranges"] = ranges
            json["shards"] = shards
        }
        try assertRefused("runs past the shard's") { json in
            var shards = json["shards"] as! [[String: Any]]
            var ranges = shards[0]["ranges"] as! [[String: Any]]
            ranges[0]["rawOffset"] = 1_000_000
            shards[0]["ranges"] = ranges
            json["shards"] = shards
        }
        try assertRefused("for a world of 2") { json in
            json["shards"] = [(json["shards"] as! [[String: Any]])[0]]
        }
        try assertRefused("its file must be a name in the checkpoint directory") { json in
            var shards = json["shards"] as! [[String: Any]]
            shards[0]["file"] = "../elsewhere.bin.zst"
            json["shards"] = shards
        }
    }

    func testATensorOutsideItsBuffer_isRefused() throws {
        try assertRefused("tensor 'w' (shape [10, 100], offset 2) lies outside buffer 'parameters' of 1001 elements") { json in
            var tensors = json["tensors"] as! [[String: Any]]
            tensors[0]["offset"] = 2
            json["tensors"] = tensors
        }
        try assertRefused("tensor 's' is in buffer 'nothing', which is not listed") { json in
            var tensors = json["tensors"] as! [[String: Any]]
            tensors[1]["buffer"] = "nothing"
            json["tensors"] = tensors
        }
    }

    func testAMissingField_isNamed() throws {
        try assertRefused("the field shards[1].summary.sha256 is missing") { json in
            var shards = json["shards"] as! [[String: Any]]
            var summary = shards[1]["summary"] as! [String: Any]
            summary["sha256"] = nil
            shards[1]["summary"] = summary
            json["shards"] = shards
        }
    }

    /// Foundation's decoder takes a document cut short; the manifest reader names the byte.
    func testTextThatIsNotExactlyJSON_isRefusedAtItsByte() throws {
        let directory = try save()
        let path = directory + "/manifest.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try String(text.dropLast(2)).write(toFile: path, atomically: true, encoding: .utf8)
        assertEveryReaderRefuses(directory, "not valid JSON at byte \(text.utf8.count - 2): the document ends")
        try "{\"a\": 1, \"a\": 2}".write(toFile: path, atomically: true, encoding: .utf8)
        assertEveryReaderRefuses(directory, "not valid JSON at byte 9: the key a appears twice")
        try "{\"magic\": [1, 2,]}".write(toFile: path, atomically: true, encoding: .utf8)
        assertEveryReaderRefuses(directory, "not valid JSON at byte 16: expected a value")
    }

    func testJSONSyntax_acceptsWhatTheStandardAllows() {
        for text in ["{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\n\"", " {\"a\": [true, false, null, {\"b\": 1}]} ",
                     "{\"a\": {\"a\": 1}}"] {
            XCTAssertNil(JSONSyntax.problem(in: Data(text.utf8)), text)
        }
        for (text, offset) in [("", 0), ("01", 1), ("[1 2]", 3), ("{\"a\" 1}", 5), ("\"\\x\"", 2), ("nul", 3), ("1.", 2),
                               ("{} x", 3), (String(repeating: "[", count: 300), 256)] {
            XCTAssertEqual(JSONSyntax.problem(in: Data(text.utf8))?.offset, offset, text)
        }
    }

    /// Every way of naming a checkpoint on a command line, and what each wrong one is called.
    func testLocation_followsThePointerAndNamesWhatAPathIsInstead() throws {
        let directory = try save()
        XCTAssertEqual(try CheckpointLocation.checkpoint(directory), directory)
        XCTAssertEqual(try CheckpointLocation.checkpoint(scratch), directory)
        XCTAssertEqual(try CheckpointLocation.checkpoint(scratch + "/latest"), directory)
        let cases: [(String, String)] = [
            (scratch + "/nothing", "no such file or directory"),
            (directory + "/manifest.json", "a file, not a checkpoint directory"),
        ]
        for (path, text) in cases {
            XCTAssertThrowsError(try CheckpointLocation.checkpoint(path), path) {
                XCTAssertTrue("\($0)".contains(text), "\($0)")
            }
        }
        try "step-000000099".write(toFile: scratch + "/latest", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CheckpointLocation.checkpoint(scratch)) {
            XCTAssertTrue("\($0)".contains("it names 'step-000000099', which is not a checkpoint there"), "\($0)")
        }
        let run = scratch + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try "{}".write(toFile: run + "/status.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CheckpointLocation.checkpoint(run)) {
            XCTAssertTrue("\($0)".contains("a run directory that holds no checkpoint yet"), "\($0)")
        }
        try #"{"node_checkpoints": {"run_id": "run-1", "hosts": ["a"], "local_dir": "/scratch/qcs"}}"#
            .write(toFile: run + "/status.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CheckpointLocation.checkpoint(run)) {
            XCTAssertTrue("\($0)".contains("checkpoints are kept on its nodes"), "\($0)")
            XCTAssertTrue("\($0)".contains("qcs checkpoint list \(run)"), "\($0)")
        }
    }
}
