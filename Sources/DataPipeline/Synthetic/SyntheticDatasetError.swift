/// Why the synthetic data set cannot be built or written.
public enum SyntheticDatasetError: Error, Equatable, CustomStringConvertible {
    /// An option is out of range; the message names it.
    case invalidOptions(String)
    /// A directory of the layout could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
    /// The image encoder failed on this image.
    case encoderFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidOptions(let message):
            return "synthetic data set: \(message)"
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create directory \(path): \(reason) (check the output path and permissions)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason) (check free space and permissions)"
        case .encoderFailed(let path, let reason):
            return "encoding \(path) failed: \(reason)"
        }
    }
}
