import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint

final class FramedShardTests: ScratchTestCase {
    var directory: String { scratch }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    /// 10 000 floats (40 000 bytes) in frames of 4 096 raw bytes, appended in uneven pieces.
    func writeShard(_ name: String = "shard.bin.zst") throws -> (path: String, raw: [UInt8], summary: ShardSummary) {
        var rng = SeededRNG(seed: 3)
        let floats = (0..<10_000).map { _ in rng.uniform(-1, 1) }
        let raw = floats.withUnsafeBytes { Array($0) }
        let path = directory + "/" + name
        let writer = try FramedShardWriter(path: path, frameBytes: 4096)
        var at = 0
        for piece in [1, 4095, 4097, 10_000, 100_000] where at < raw.count {
            let end = min(at + piece, raw.count)
            try raw[at..<end].withUnsafeBytes { try writer.append($0) }
            at = end
        }
        return (path, raw, try writer.finish())
    }

    func testRoundTrip_wholeStreamAndSizesAreWhatWasWritten() throws {
        let (path, raw, summary) = try writeShard()
        XCTAssertEqual(summary.rawBytes, raw.count)
        XCTAssertEqual(summary.frames.count, (raw.count + 4095) / 4096)
        XCTAssertEqual(summary.frames.map(\.rawBytes).reduce(0, +), raw.count)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, summary.bytes)
        XCTAssertNoThrow(try FramedShardReader.verify(path, summary))
        XCTAssertEqual(try FramedShardReader.read(path, summary, range: 0..<raw.count).bytes, raw)
    }

    /// A shard is plain zstd: the command-line tool (scripts/setup installs it) reads it whole.
    func testShard_isReadByTheZstdTool() throws {
        let tool = "/usr/bin/zstd"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: tool), "zstd is not installed (scripts/setup installs it)")
        let (path, raw, _) = try writeShard()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(Array(output), raw)
    }

    func testRangeRead_decodesOnlyTheFramesItOverlaps() throws {
        let (path, raw, summary) = try writeShard()
        let (bytes, frames) = try FramedShardReader.read(path, summary, range: 5000..<9000)
        XCTAssertEqual(bytes, Array(raw[5000..<9000]))
        XCTAssertEqual(frames, [1, 2])
        XCTAssertEqual(try FramedShardReader.read(path, summary, range: 8192..<8192).frames, [])
        XCTAssertThrowsError(try FramedShardReader.read(path, summary, range: 0..<(raw.count + 1)))
    }

    func testTruncatedShard_isNamedWithBothSizes() throws {
        let (path, _, summary) = try writeShard()
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: UInt64(summary.bytes - 100))
        try handle.close()
        XCTAssertThrowsError(try FramedShardReader.verify(path, summary)) {
            XCTAssertEqual($0 as? CheckpointError,
                           .shardTruncated(file: path, expectedBytes: summary.bytes, foundBytes: summary.bytes - 100))
        }
        XCTAssertThrowsError(try FramedShardReader.read(path, summary, range: 0..<summary.rawBytes)) {
            guard case CheckpointError.shardTruncated = $0 else { return XCTFail("\($0)") }
        }
    }

    func testFlippedByte_failsTheChecksumAndItsFrame() throws {
        let (path, _, summary) = try writeShard()
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let inFrame3 = summary.frames[3].offset + summary.frames[3].compressedBytes / 2
        data[inFrame3] ^= 0x5A
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try FramedShardReader.verify(path, summary)) {
            guard case CheckpointError.shardChecksumMismatch(path, summary.sha256, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue("\($0)".contains(path))
        }
        // Frames before it still read; the damaged one is refused, never returned as data.
        XCTAssertNoThrow(try FramedShardReader.read(path, summary, range: 0..<4096))
        XCTAssertThrowsError(try FramedShardReader.read(path, summary, range: (3 * 4096)..<(3 * 4096 + 10))) {
            guard case CheckpointError.frameCorrupt(_, 3, _) = $0 else { return XCTFail("\($0)") }
        }
    }
}
