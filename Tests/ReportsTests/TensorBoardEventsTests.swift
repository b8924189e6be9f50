import XCTest
import Foundation
@testable import Reports

final class TensorBoardEventsTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func testCRC32C_matchesTheStandardCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    /// The records of a TFRecord file, each checked against both of its CRCs.
    func records(_ path: String) throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var out: [[UInt8]] = [], at = 0
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }
        while at < bytes.count {
            let lengthBytes = Array(bytes[at..<(at + 8)])
            let length = (0..<8).reduce(0) { $0 | Int(lengthBytes[$1]) << (8 * $1) }
            XCTAssertEqual(u32(at + 8), TensorBoardEvents.maskedCRC(lengthBytes))
            let payload = Array(bytes[(at + 12)..<(at + 12 + length)])
            XCTAssertEqual(u32(at + 12 + length), TensorBoardEvents.maskedCRC(payload))
            out.append(payload)
            at += 16 + length
        }
        return out
    }

    /// Minimal protobuf reading: field number → values (varints as UInt64, fixed as raw bytes).
    func fields(_ message: [UInt8]) -> [(field: Int, varint: UInt64?, raw: [UInt8])] {
        var out: [(Int, UInt64?, [UInt8])] = [], at = 0
        func varint() -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = message[at]; at += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }
        while at < message.count {
            let key = varint()
            switch key & 7 {
            case 0: out.append((Int(key >> 3), varint(), []))
            case 1: out.append((Int(key >> 3), nil, Array(message[at..<(at + 8)]))); at += 8
            case 5: out.append((Int(key >> 3), nil, Array(message[at..<(at + 4)]))); at += 4
            default:
                let n = Int(varint())
                out.append((Int(key >> 3), nil, Array(message[at..<(at + n)]))); at += n
            }
        }
        return out
    }

    func testEvents_areTFRecordsOfEventsWithTaggedScalars() throws {
        let events = try TensorBoardEvents(directory: directory, now: Date(timeIntervalSince1970: 1_700_000_000))
        events.add(step: 7, scalars: [("train/loss", 1.5), ("train/learning_rate", 0.004)])
        events.add(step: 8, scalars: [("test/accuracy", 0.75)])
        XCTAssertTrue((events.path as NSString).lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        let all = try records(events.path)
        XCTAssertEqual(all.count, 3)
        let version = fields(all[0])
        XCTAssertEqual(version.first { $0.field == 3 }.map { String(decoding: $0.raw, as: UTF8.self) }, "brain.Event:2")
        let first = fields(all[1])
        XCTAssertEqual(first.first { $0.field == 2 }?.varint, 7)
        let summary = try XCTUnwrap(first.first { $0.field == 5 }?.raw)
        let values = fields(summary).filter { $0.field == 1 }.map { fields($0.raw) }
        XCTAssertEqual(values.count, 2)
        let tags = values.map { v in String(decoding: v.first { $0.field == 1 }!.raw, as: UTF8.self) }
        XCTAssertEqual(tags, ["train/loss", "train/learning_rate"])
        let numbers = values.map { v -> Float in
            let raw = v.first { $0.field == 2 }!.raw
            return Float(bitPattern: (0..<4).reduce(0) { $0 | UInt32(raw[$1]) << (8 * UInt32($1)) })
        }
        XCTAssertEqual(numbers, [1.5, 0.004])
    }

    /// TensorBoard's own reader, when the `tensorboard` Python package is installed
    /// (QCS_TENSORBOARD_PYTHON names a Python that has it; /root/torch-venv/bin/python is tried).
    func testTensorBoardItself_readsTheScalars() throws {
        let candidates = [ProcessInfo.processInfo.environment["QCS_TENSORBOARD_PYTHON"], "/root/torch-venv/bin/python",
                          "/usr/bin/python3"].compactMap { $0 }
        guard let python = candidates.first(where: { Self.run($0, ["-c", "import tensorboard"]) != nil }) else {
            throw XCTSkip("no Python with the tensorboard package")
        }
        let events = try TensorBoardEvents(directory: directory)
        for step in 1...3 { events.add(step: step, scalars: [("train/loss", 2.0 / Double(step))]) }
        let script = """
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            a = EventAccumulator('\(directory)'); a.Reload()
            print(' '.join('%d:%.4f' % (e.step, e.value) for e in a.Scalars('train/loss')))
            """
        XCTAssertEqual(Self.run(python, ["-c", script])?.trimmingCharacters(in: .whitespacesAndNewlines),
                       "1:2.0000 2:1.0000 3:0.6667")
    }

    static func run(_ executable: String, _ arguments: [String]) -> String? {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
