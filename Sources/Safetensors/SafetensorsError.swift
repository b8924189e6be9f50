import Foundation

/// Everything that can be wrong with a safetensors file, or with writing one. Each case names
/// the file and what is wrong; `description` adds a sentence saying what to do about it.
public enum SafetensorsError: Error, Equatable {
    /// The file could not be opened or mapped (`reason` is the system's message).
    case cannotOpen(path: String, reason: String)
    /// The file is shorter than the 8-byte header length that every safetensors file starts with.
    case truncatedHeader(path: String, fileSize: Int)
    /// The header length in the first 8 bytes points past the end of the file.
    case headerLengthBeyondFile(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is not a JSON object (`reason` says what the parser or the check found).
    case badJSON(path: String, reason: String)
    /// `__metadata__` is present but is not an object of strings.
    case badMetadata(path: String, reason: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`, or one of them has the wrong form.
    case badEntry(path: String, tensor: String, reason: String)
    /// A tensor has a dtype that is not part of the safetensors format.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A valid safetensors dtype that cannot be converted to float32 (booleans, 8-bit floats...).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's byte range does not lie inside the data section.
    case offsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// A tensor's byte range does not hold shape × dtype size bytes.
    case byteCountMismatch(path: String, tensor: String, shape: [Int], dtype: String, expected: Int, found: Int)
    /// `tensor(named:)` or `shape(of:)` asked for a name the file does not have.
    case missingTensor(path: String, tensor: String, available: [String])
    /// Writing: two tensors with the same name.
    case duplicateName(path: String, tensor: String)
    /// Writing: a tensor named `__metadata__`, which the format reserves.
    case reservedName(path: String)
    /// Writing: a dtype other than F32, F16 or BF16 was requested.
    case unwritableDType(path: String, dtype: String)
    /// Writing: a system call failed (`operation` is what was being done, `errno` its error).
    case writeFailed(path: String, operation: String, errno: Int32)
}

extension SafetensorsError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open (\(reason)). Check that the path exists and is a readable regular file."
        case let .truncatedHeader(path, size):
            return "\(path): file is \(size) bytes, too short for the 8-byte header length. "
                + "The file is truncated or not safetensors; copy or export it again."
        case let .headerLengthBeyondFile(path, length, size):
            return "\(path): header length \(length) exceeds the file size \(size). "
                + "The file is truncated or not safetensors; copy or export it again."
        case let .badJSON(path, reason):
            return "\(path): header is not valid safetensors JSON (\(reason)). "
                + "The file is corrupt or not safetensors; export it again."
        case let .badMetadata(path, reason):
            return "\(path): __metadata__ must map strings to strings (\(reason)). "
                + "Rewrite the file with string metadata values."
        case let .badEntry(path, tensor, reason):
            return "\(path): entry '\(tensor)' is malformed (\(reason)). "
                + "Each tensor needs dtype, shape and data_offsets; export the file again."
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'. "
                + "Known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))."
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype), which cannot be read as float32. "
                + "Convert it to F32, F16, BF16, F64, I64 or I32 before export."
        case let .offsetsOutOfRange(path, tensor, begin, end, size):
            return "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(size)-byte data section. "
                + "The file is truncated or corrupt; export it again."
        case let .overlappingTensors(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' overlap in the data section. "
                + "The file is corrupt; export it again."
        case let .byteCountMismatch(path, tensor, shape, dtype, expected, found):
            return "\(path): tensor '\(tensor)' of shape \(shape) and dtype \(dtype) needs \(expected) bytes but its "
                + "data_offsets span \(found). The header is corrupt; export the file again."
        case let .missingTensor(path, tensor, available):
            let shown = available.prefix(8).joined(separator: ", ") + (available.count > 8 ? ", …" : "")
            return "\(path): no tensor named '\(tensor)' (the file has \(available.count): \(shown)). "
                + "Check the name against the exporter's state-dict names."
        case let .duplicateName(path, tensor):
            return "\(path): tensor name '\(tensor)' given twice. Names in a safetensors file must be unique."
        case let .reservedName(path):
            return "\(path): '__metadata__' is reserved for metadata and cannot name a tensor. Rename the tensor."
        case let .unwritableDType(path, dtype):
            return "\(path): cannot write dtype \(dtype). Write F32, F16 or BF16."
        case let .writeFailed(path, operation, code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code))). "
                + "Check free disk space and permissions of the directory."
        }
    }

    public var errorDescription: String? { description }
}
