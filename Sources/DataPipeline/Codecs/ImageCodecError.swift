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

    public var description: String {
        switch self {
        case .unreadableFile(let file, let reason):
            return "\(file): cannot read the file (\(reason))"
        case .emptyFile(let file):
            return "\(file): the file is empty (0 bytes); re-copy or remove it"
        case .notAnImage(let file, let firstBytes):
            return "\(file): not an image (starts with \(firstBytes); only JPEG and PNG are read)"
        case .corrupt(let file, let format, let reason):
            return "\(file): corrupt or truncated \(format.rawValue.uppercased()) (\(reason)); re-copy the file, or set on_bad_image: skip"
        case .tooLarge(let file, let width, let height, let limit):
            return "\(file): \(width)x\(height) pixels exceeds the decoder's limit of \(limit) pixels; the header is corrupt or the image needs downscaling first"
        case .outOfMemory(let file):
            return "\(file): out of memory while decoding"
        case .encodeFailed(let format, let reason):
            return "cannot encode \(format.rawValue.uppercased()): \(reason)"
        case .unwritableFile(let file, let reason):
            return "\(file): cannot write the file (\(reason))"
        }
    }

    /// The NUL-terminated message a C codec wrote into `buffer`.
    static func libraryMessage(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
