import CPNG

/// PNG through libpng. Decoding, including libpng's error longjmp, happens in the C functions of
/// `Sources/CPNG/shim.h`; this side only moves buffers and turns codes into errors.
public enum PNGCodec {
    /// Decodes PNG bytes to RGB: grey, palette, RGBA and 16-bit files are converted (16-bit samples
    /// keep their high byte; alpha is dropped, not composited). `source` names the bytes in errors.
    static func decode(_ bytes: UnsafeRawBufferPointer, source: String, maxPixels: Int) throws -> RGBImage {
        try ShimCall.decode(format: .png, source: source, maxPixels: maxPixels) { pixels, width, height, message, capacity in
            Int(qcs_png_decode_rgb(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                                   UInt(maxPixels), &pixels, &width, &height, message, capacity))
        }
    }

    /// Encodes `image` as an 8-bit RGB PNG.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw ImageCodecError.encodeFailed(format: .png, reason: "image is \(image.width)x\(image.height); needs at least one pixel")
        }
        return try ShimCall.encode(format: .png) { data, size, message, capacity in
            image.pixels.withUnsafeBufferPointer { pixels in
                Int(qcs_png_encode_rgb(pixels.baseAddress, UInt32(image.width), UInt32(image.height),
                                       &data, &size, message, capacity))
            }
        }
    }
}
