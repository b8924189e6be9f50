import Foundation

/// Scalars in TensorBoard's event-file format, so `tensorboard --logdir RUN` shows a run's curves:
/// a file of TFRecords (length, masked CRC-32C of the length, payload, masked CRC-32C of the
/// payload), each payload one `Event` protocol buffer holding a `Summary` of tagged floats. The
/// first record carries the file version. Each writer makes a new file, named as TensorBoard's own
/// writers name them; TensorBoard reads every file of the folder, so a resumed run adds a file.
public final class TensorBoardEvents {
    public let path: String
    private let handle: FileHandle

    /// Creates `directory` if needed and a new event file in it.
    public init(directory: String, now: Date = Date()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let name = "events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(String(cString: host)).\(getpid())"
        path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        var version = ProtobufWriter()
        version.double(1, now.timeIntervalSince1970)
        version.bytes(3, Array("brain.Event:2".utf8))
        write(record: version.encoded)
    }

    /// One event at `step` holding `scalars` (tag → value), e.g. `["train/loss": 1.23]`.
    public func add(step: Int, scalars: [(tag: String, value: Double)], at time: Date = Date()) {
        var summary = ProtobufWriter()
        for (tag, value) in scalars {
            var v = ProtobufWriter()
            v.bytes(1, Array(tag.utf8))
            v.float(2, Float(value))
            summary.bytes(1, v.encoded)
        }
        var event = ProtobufWriter()
        event.double(1, time.timeIntervalSince1970)
        event.varint(2, UInt64(max(step, 0)))
        event.bytes(5, summary.encoded)
        write(record: event.encoded)
    }

    deinit { try? handle.close() }

    private func write(record payload: [UInt8]) {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 16)
        let length = Self.littleEndian(UInt64(payload.count))
        out += length
        out += Self.littleEndian(Self.maskedCRC(length))
        out += payload
        out += Self.littleEndian(Self.maskedCRC(payload))
        handle.write(Data(out))
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// CRC-32C rotated and offset, as TFRecord stores it (a CRC of data holding CRCs stays useful).
    static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        let crc = CRC32C.checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The few protocol-buffer encodings an event needs: varints, 64-bit doubles, 32-bit floats and
/// length-delimited bytes, each behind its field key.
struct ProtobufWriter {
    private(set) var encoded: [UInt8] = []

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, wireType: 0)
        raw(value)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, wireType: 1)
        encoded += TensorBoardEvents.littleEndian(value.bitPattern)
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        encoded += TensorBoardEvents.littleEndian(value.bitPattern)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        raw(UInt64(value.count))
        encoded += value
    }

    private mutating func key(_ field: Int, wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

    private mutating func raw(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            encoded.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        encoded.append(UInt8(v))
    }
}
