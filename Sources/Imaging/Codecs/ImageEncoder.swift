/// How to encode an image.
public enum ImageEncoding: Sendable, Equatable {
    /// Baseline JPEG, 4:2:0 chroma, libjpeg quality 1–100.
    case jpeg(quality: Int)
    /// 8-bit RGB PNG, lossless.
    case png

    public var format: ImageFormat {
        switch self {
        case .jpeg: return .jpeg
        case .png: return .png
        }
    }
}

/// Encodes `RGBImage`s to JPEG or PNG bytes and files (the synthetic data set, report images).
public enum ImageEncoder {
    /// The encoded bytes.
    public static func encode(_ image: RGBImage, as encoding: ImageEncoding) throws -> [UInt8] {
        switch encoding {
        case .jpeg(let quality): return try JPEGCodec.encode(image, quality: quality)
        case .png: return try PNGCodec.encode(image)
        }
    }

    /// Encodes and writes to `path` through a temporary file and a rename, so the file is either
    /// complete or absent.
    public static func write(_ image: RGBImage, to path: String, as encoding: ImageEncoding) throws {
        try FileBytes.save(encode(image, as: encoding), to: path)
    }
}
