/// Decodes JPEG and PNG files or bytes to `RGBImage`, choosing the codec by the signature bytes.
/// A bad input is always a thrown `ImageCodecError` naming the file, never a crash.
public struct ImageDecoder: Sendable {
    /// 64 Mpixel (192 MB of RGB): far above any face image, low enough that a corrupt header
    /// cannot ask for gigabytes.
    public static let defaultMaxPixels = 1 << 26

    /// Images whose header declares more pixels are refused before any allocation.
    public var maxPixels: Int

    public init(maxPixels: Int = ImageDecoder.defaultMaxPixels) {
        self.maxPixels = maxPixels
    }

    /// Reads and decodes the file at `path`.
    public func decode(contentsOf path: String) throws -> RGBImage {
        try decode(FileBytes.load(path), source: path)
    }

    /// Decodes an encoded image held in memory; `source` names it in errors.
    public func decode(_ bytes: [UInt8], source: String) throws -> RGBImage {
        try bytes.withUnsafeBytes { try decode($0, source: source) }
    }

    /// Decodes an encoded image held in memory; `source` names it in errors.
    public func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws -> RGBImage {
        if bytes.isEmpty { throw ImageCodecError.emptyFile(file: source) }
        switch ImageFormat.detect(bytes) {
        case .jpeg: return try JPEGCodec.decode(bytes, source: source, maxPixels: maxPixels)
        case .png: return try PNGCodec.decode(bytes, source: source, maxPixels: maxPixels)
        case nil:
            let head = bytes.prefix(8).map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }
            throw ImageCodecError.notAnImage(file: source, firstBytes: head.joined(separator: " "))
        }
    }
}
