import CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PNG through libpng. Decoding, including libpng's error longjmp, happens in the C functions of
/// `Sources/CPNG/shim.h`; this side only moves buffers and turns codes into errors.
public enum PNGCodec {
    /// Decodes PNG bytes to RGB: grey, palette, RGBA and 16-bit files are converted (16-bit samples
    /// keep their high byte; alpha is dropped, not composited). `source` names the bytes in errors.
    static func decode(_ bytes: UnsafeRawBufferPointer, source: String, maxPixels: Int) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0, height: UInt32 = 0
        let capacity = 256
        var message = [CChar](repeating: 0, count: capacity)
        let status = qcs_png_decode_rgb(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                                        UInt(maxPixels), &pixels, &width, &height, &message, capacity)
        defer { free(pixels) }
        switch Int(status) {
        case QCS_PNG_OK:
            guard let pixels else { throw ImageCodecError.outOfMemory(file: source) }
            let count = Int(width) * Int(height) * 3
            return RGBImage(width: Int(width), height: Int(height),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        case QCS_PNG_TOO_LARGE:
            throw ImageCodecError.tooLarge(file: source, width: Int(width), height: Int(height), limit: maxPixels)
        case QCS_PNG_NO_MEMORY:
            throw ImageCodecError.outOfMemory(file: source)
        default:
            throw ImageCodecError.corrupt(file: source, format: .png, reason: ImageCodecError.libraryMessage(message))
        }
    }

    /// Encodes `image` as an 8-bit RGB PNG.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw ImageCodecError.encodeFailed(format: .png, reason: "image is \(image.width)x\(image.height); needs at least one pixel")
        }
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        let capacity = 256
        var message = [CChar](repeating: 0, count: capacity)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            qcs_png_encode_rgb(pixels.baseAddress, UInt32(image.width), UInt32(image.height),
                               &data, &size, &message, capacity)
        }
        defer { free(data) }
        guard Int(status) == QCS_PNG_OK, let data else {
            throw ImageCodecError.encodeFailed(format: .png, reason: ImageCodecError.libraryMessage(message))
        }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}
