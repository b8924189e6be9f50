import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JPEG through libjpeg-turbo. The work, including libjpeg's error longjmp, happens in the C
/// functions of `Sources/CJPEG/shim.h`; this side only moves buffers and turns codes into errors.
public enum JPEGCodec {
    /// Decodes JPEG bytes to RGB (grey and CMYK converted). `source` names the bytes in errors.
    static func decode(_ bytes: UnsafeRawBufferPointer, source: String, maxPixels: Int) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0, height: UInt32 = 0
        let capacity = 256
        var message = [CChar](repeating: 0, count: capacity)
        let status = qcs_jpeg_decode_rgb(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                                         UInt(maxPixels), &pixels, &width, &height, &message, capacity)
        defer { free(pixels) }
        let reason = ImageCodecError.libraryMessage(message)
        switch Int(status) {
        case QCS_JPEG_OK:
            guard let pixels else { throw ImageCodecError.outOfMemory(file: source) }
            let count = Int(width) * Int(height) * 3
            return RGBImage(width: Int(width), height: Int(height),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        case QCS_JPEG_TOO_LARGE:
            throw ImageCodecError.tooLarge(file: source, width: Int(width), height: Int(height), limit: maxPixels)
        case QCS_JPEG_NO_MEMORY:
            throw ImageCodecError.outOfMemory(file: source)
        default:
            throw ImageCodecError.corrupt(file: source, format: .jpeg, reason: reason)
        }
    }

    /// Encodes `image` as a baseline JPEG with 4:2:0 chroma; `quality` is libjpeg's 1–100 scale.
    public static func encode(_ image: RGBImage, quality: Int) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw ImageCodecError.encodeFailed(format: .jpeg, reason: "quality must be 1–100, got \(quality)")
        }
        guard image.width > 0, image.height > 0 else {
            throw ImageCodecError.encodeFailed(format: .jpeg, reason: "image is \(image.width)x\(image.height); needs at least one pixel")
        }
        var data: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let capacity = 256
        var message = [CChar](repeating: 0, count: capacity)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            qcs_jpeg_encode_rgb(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(quality),
                                &data, &size, &message, capacity)
        }
        defer { free(data) }
        guard Int(status) == QCS_JPEG_OK, let data else {
            let reason = ImageCodecError.libraryMessage(message)
            throw ImageCodecError.encodeFailed(format: .jpeg, reason: reason)
        }
        return Array(UnsafeBufferPointer(start: data, count: Int(size)))
    }
}
