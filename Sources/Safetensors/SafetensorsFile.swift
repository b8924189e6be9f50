import Autograd
import Foundation

/// A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}`, then the raw
/// little-endian tensor data. The file is memory-mapped; the header is validated completely
/// on opening, and each `tensor(named:)` converts one tensor into float32 memory of its own.
///
///     let file = try SafetensorsFile(path: "ir50.safetensors")
///     let w = try file.tensor(named: "body.0.conv1.weight")   // [O, I, kH, kW]
public final class SafetensorsFile: @unchecked Sendable {
    // Sendable: the mapping and every field are immutable after init.

    public let path: String
    /// Tensor names in the order their data appears in the file.
    public let tensorNames: [String]
    /// The free-form `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    /// Every tensor's dtype, shape and byte range, keyed by name.
    public let entries: [String: SafetensorsEntry]

    private let file: MappedFile
    private let dataStart: Int

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw SafetensorsError.truncatedHeader(path: path, fileSize: bytes.count) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.headerLengthBeyondFile(path: path, headerLength: headerLength, fileSize: bytes.count)
        }
        dataStart = 8 + Int(headerLength)
        let json = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        let parsed = try SafetensorsHeader.parse(json, dataSize: bytes.count - dataStart, path: path)
        tensorNames = parsed.entries.map(\.name)
        metadata = parsed.metadata
        entries = Dictionary(uniqueKeysWithValues: parsed.entries.map { ($0.name, $0) })
    }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The entry of `name`, or `missingTensor`.
    public func entry(named name: String) throws -> SafetensorsEntry {
        guard let e = entries[name] else {
            throw SafetensorsError.missingTensor(path: path, tensor: name, available: tensorNames)
        }
        return e
    }

    public func shape(of name: String) throws -> [Int] { try entry(named: name).shape }

    /// Tensor `name` converted to float32 (F16, BF16 and F64 by rounding, I64 and I32 by value).
    public func tensor(named name: String) throws -> Tensor {
        let out = Tensor(zeros: try entry(named: name).shape)
        try read(named: name, into: out)
        return out
    }

    /// Tensor `name` decoded straight from the mapping into `target`, which must hold as many
    /// elements (a model's parameter, say: no intermediate copy).
    public func read(named name: String, into target: Tensor) throws {
        let e = try entry(named: name)
        guard e.dtype.isReadable else {
            throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: e.dtype.rawValue)
        }
        precondition(e.shape.reduce(1, *) == target.count, "\(name): \(e.shape) read into \(target.shape)")
        let start = dataStart + e.dataOffsets.lowerBound
        let source = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(dataStart + e.dataOffsets.upperBound)])
        SafetensorsFile.convert(source, dtype: e.dtype, into: target.data, count: target.count)
    }

    /// Integer tensor `name` (I64 or I32) exactly, flattened: labels, step counters.
    public func integers(named name: String) throws -> [Int] {
        let e = try entry(named: name)
        let start = dataStart + e.dataOffsets.lowerBound
        let source = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(dataStart + e.dataOffsets.upperBound)])
        let count = e.shape.reduce(1, *)
        switch e.dtype {
        case .i64:
            return (0..<count).map { Int(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        case .i32:
            return (0..<count).map { Int(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        default:
            throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: e.dtype.rawValue + " (as integers)")
        }
    }

    /// Every tensor, keyed by name.
    public func tensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in tensorNames { out[name] = try tensor(named: name) }
        return out
    }

    /// Decodes `count` little-endian elements of `dtype` from `source` into `out`.
    static func convert(_ source: UnsafeRawBufferPointer, dtype: SafetensorsDType,
                        into out: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        switch dtype {
        case .f32:
            #if _endian(little)
            // The file's byte order is ours: one copy out of the mapping.
            UnsafeMutableRawPointer(out).copyMemory(from: source.baseAddress!, byteCount: count * 4)
            #else
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .f16:
            for i in 0..<count {
                out[i] = HalfPrecision.float(fromHalf: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                out[i] = HalfPrecision.float(fromBFloat16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .f64:
            for i in 0..<count {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .i64:
            for i in 0..<count {
                out[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            }
        case .i32:
            for i in 0..<count {
                out[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
        default:
            preconditionFailure("convert called for unreadable dtype \(dtype)")
        }
    }
}
