/// Why an image could not be read, decoded, encoded or written. Every case names the file (or,
/// for bytes in memory, the source label the caller gave) so a data set's bad image can be found.
public enum ImageCodecError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read: missing, a directory, no permission.
    case unreadableFile(file: String, reason: String)
    /// The file or buffer holds no bytes at all.
    case emptyFile(file: String)
    /// The bytes start with neither the JPEG nor the PNG signature; `firstBytes` in hex, to help
    /// recognise what the file really is (an HTML error page, a GIF, a WebP…).
    case notAnImage(file: String, firstBytes: String)
    /// A JPEG or PNG the library refused: truncated, corrupt, or a variant it does not support.
    case corrupt(file: String, format: ImageFormat, reason: String)
    /// The header declares more pixels than the decoder allows: a corrupt header, or an image far
    /// larger than a face data set should hold.
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    /// Memory for the decoded pixels could not be allocated.
    case outOfMemory(file: String)
    /// The encoder refused the image or the settings (zero size, quality out of range).
    case encodeFailed(format: ImageFormat, reason: String)
    /// The encoded image could not be written.
    case unwritableFile(file: String, reason: String)

    /// The file the error is about (nil for an encoding error, which has none yet).
    public var file: String? {
        switch self {
        case .unreadableFile(let file, _), .emptyFile(let file), .notAnImage(let file, _), .corrupt(let file, _, _),
             .tooLarge(let file, _, _, _), .outOfMemory(let file), .unwritableFile(let file, _):
            return file
        case .encodeFailed: return nil
        }
    }

    /// What is wrong and what to do, without the file name.
    public var problem: String {
        switch self {
        case .unreadableFile(_, let reason):
            return "cannot read the file (\(reason))"
        case .emptyFile:
            return "the file is empty (0 bytes); re-copy or remove it"
        case .notAnImage(_, let firstBytes):
            return "not an image (starts with \(firstBytes); only JPEG and PNG are read)"
        case .corrupt(_, let format, let reason):
            return "corrupt or truncated \(format.rawValue.uppercased()) (\(reason)); re-copy the file, or set on_bad_image: skip"
        case .tooLarge(_, let width, let height, let limit):
            return "\(width)x\(height) pixels exceeds the decoder's limit of \(limit) pixels; the header is corrupt or the image needs downscaling first"
        case .outOfMemory:
            return "out of memory while decoding"
        case .encodeFailed(let format, let reason):
            return "cannot encode \(format.rawValue.uppercased()): \(reason)"
        case .unwritableFile(_, let reason):
            return "cannot write the file (\(reason))"
        }
    }

    public var description: String { file.map { "\($0): \(problem)" } ?? problem }

    /// The NUL-terminated message a C codec wrote into `buffer`.
    static func libraryMessage(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
