import Foundation

/// Where one tensor lives in a safetensors file.
public struct SafetensorsEntry: Equatable, Sendable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range relative to the start of the data section (after the header).
    public let dataOffsets: Range<Int>
}

/// Parsing and validation of the JSON header: every entry is checked against the data section
/// up front, so reading a tensor later can only fail for a dtype that cannot become float32.
enum SafetensorsHeader {
    static let metadataKey = "__metadata__"

    static func parse(_ json: UnsafeRawBufferPointer, dataSize: Int, path: String)
        throws -> (entries: [SafetensorsEntry], metadata: [String: String]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw SafetensorsError.badJSON(path: path, reason: "\(error.localizedDescription)")
        }
        guard let header = object as? [String: Any] else {
            throw SafetensorsError.badJSON(path: path, reason: "the top level is not an object")
        }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in header {
            if name == metadataKey {
                guard let dict = value as? [String: Any] else {
                    throw SafetensorsError.badMetadata(path: path, reason: "not an object")
                }
                for (key, v) in dict {
                    guard let s = v as? String else {
                        throw SafetensorsError.badMetadata(path: path, reason: "value of '\(key)' is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            entries.append(try entry(name, value, dataSize: dataSize, path: path))
        }
        // File order; empty tensors (which occupy no bytes) cannot overlap anything.
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name)
            < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        var previous: SafetensorsEntry?
        for e in entries where !e.dataOffsets.isEmpty {
            if let p = previous, e.dataOffsets.lowerBound < p.dataOffsets.upperBound {
                throw SafetensorsError.overlappingTensors(path: path, first: p.name, second: e.name)
            }
            previous = e
        }
        return (entries, metadata)
    }

    private static func entry(_ name: String, _ value: Any, dataSize: Int, path: String) throws -> SafetensorsEntry {
        func bad(_ reason: String) -> SafetensorsError { .badEntry(path: path, tensor: name, reason: reason) }
        guard let dict = value as? [String: Any] else { throw bad("not an object") }
        guard let dtypeName = dict["dtype"] as? String else { throw bad("missing or non-string dtype") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeList = dict["shape"] as? [Any], let shape = integers(shapeList), shape.allSatisfy({ $0 >= 0 })
        else { throw bad("shape must be a list of non-negative integers") }
        guard let offsetList = dict["data_offsets"] as? [Any], let offsets = integers(offsetList), offsets.count == 2
        else { throw bad("data_offsets must be a list of two integers") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw SafetensorsError.offsetsOutOfRange(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        var expected = dtype.size
        for d in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("shape \(shape) is too large") }
            expected = product
        }
        guard expected == end - begin else {
            throw SafetensorsError.byteCountMismatch(path: path, tensor: name, shape: shape, dtype: dtypeName,
                                                     expected: expected, found: end - begin)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// The values as Ints, or nil if any is not an integer.
    private static func integers(_ list: [Any]) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(list.count)
        for v in list {
            guard let i = v as? Int else { return nil }
            out.append(i)
        }
        return out
    }
}
