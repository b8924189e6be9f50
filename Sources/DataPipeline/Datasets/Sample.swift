import Imaging
/// Where a sample's pixels come from.
public enum ImageSource: Sendable, Equatable, CustomStringConvertible {
    /// An encoded image file (JPEG or PNG, told apart by its bytes).
    case file(String)
    /// Grey pixels already in memory (FERPlus's 48x48 rows of text); `origin` says where they were
    /// read, as `file:line`.
    case grey(width: Int, height: Int, pixels: [UInt8], origin: String)

    /// The path or `file:line` to name in messages.
    public var description: String {
        switch self {
        case .file(let path): return path
        case .grey(_, _, _, let origin): return origin
        }
    }

    /// The image as RGB: a file decoded with `decoder`, grey pixels copied to all three channels.
    public func load(with decoder: ImageDecoder = ImageDecoder()) throws -> RGBImage {
        switch self {
        case .file(let path):
            return try decoder.decode(contentsOf: path)
        case .grey(let width, let height, let grey, _):
            var rgb = [UInt8](repeating: 0, count: grey.count * 3)
            for (i, value) in grey.enumerated() {
                rgb[3 * i] = value; rgb[3 * i + 1] = value; rgb[3 * i + 2] = value
            }
            return RGBImage(width: width, height: height, pixels: rgb)
        }
    }
}

/// One labelled image of a data set.
public struct Sample: Sendable, Equatable {
    public var source: ImageSource
    /// 0-based index into the data set's class names.
    public var label: Int

    public init(source: ImageSource, label: Int) {
        self.source = source
        self.label = label
    }
}
