import Autograd
import Foundation

/// Writes float32 tensors to a safetensors file, stored as F32, F16 or BF16. The file appears
/// atomically: everything goes to `path.tmp`, which is fsynced and then renamed over `path`, so a
/// crash mid-write never leaves a half-written file under the real name.
///
///     try SafetensorsWriter(path: "export.safetensors").write([("fc.weight", w)], metadata: ["format": "pt"])
public struct SafetensorsWriter {
    public let path: String
    /// How every tensor is stored.
    public let dtype: SafetensorsDType

    public init(path: String, dtype: SafetensorsDType = .f32) {
        self.path = path
        self.dtype = dtype
    }

    /// Writes `tensors` in the given order (names must be unique) with `metadata`.
    public func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws {
        guard dtype.isWritable else { throw SafetensorsError.unwritableDType(path: path, dtype: dtype.rawValue) }
        let header = try headerBytes(tensors, metadata: metadata)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SafetensorsError.writeFailed(path: temporary, operation: "create", errno: errno) }
        do {
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try writeAll(fd, $0, file: temporary) }
            try header.withUnsafeBytes { try writeAll(fd, $0, file: temporary) }
            for (_, tensor) in tensors { try writeData(tensor, fd: fd, file: temporary) }
            guard fsync(fd) == 0 else { throw SafetensorsError.writeFailed(path: temporary, operation: "fsync", errno: errno) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let code = errno
            unlink(temporary)
            throw SafetensorsError.writeFailed(path: temporary, operation: "close", errno: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SafetensorsError.writeFailed(path: path, operation: "rename from \(temporary)", errno: code)
        }
        syncDirectory()
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes so the data section stays
    /// aligned for readers that map it in place (as the reference implementation does).
    func headerBytes(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, tensor) in tensors {
            guard name != SafetensorsHeader.metadataKey else { throw SafetensorsError.reservedName(path: path) }
            guard header[name] == nil else { throw SafetensorsError.duplicateName(path: path, tensor: name) }
            let size = tensor.count * dtype.size
            header[name] = ["dtype": dtype.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        if !metadata.isEmpty { header[SafetensorsHeader.metadataKey] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        return json
    }

    /// Encodes `tensor` as little-endian `dtype` in chunks and appends it to `fd`.
    private func writeData(_ tensor: Tensor, fd: Int32, file: String) throws {
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk * dtype.size)
        var start = 0
        while start < tensor.count {
            let n = min(chunk, tensor.count - start)
            let source = tensor.data + start
            buffer.withUnsafeMutableBytes { out in
                switch dtype {
                case .f16:
                    for i in 0..<n { out.storeBytes(of: HalfPrecision.half(from: source[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
                case .bf16:
                    for i in 0..<n { out.storeBytes(of: HalfPrecision.bfloat16(from: source[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
                default:
                    for i in 0..<n { out.storeBytes(of: source[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
                }
            }
            try buffer.withUnsafeBytes { try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<(n * dtype.size)]), file: file) }
            start += n
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, file: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError.writeFailed(path: file, operation: "write", errno: errno)
            }
            done += n
        }
    }

    /// Makes the rename itself durable. Best effort: some file systems refuse fsync on a
    /// directory, and the data is already safe by then.
    private func syncDirectory() {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
