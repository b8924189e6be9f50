import CJPEG

/// JPEG through libjpeg-turbo. The work, including libjpeg's error longjmp, happens in the C
/// functions of `Sources/CJPEG/shim.h`; this side only moves buffers and turns codes into errors.
public enum JPEGCodec {
    /// Decodes JPEG bytes to RGB (grey and CMYK converted). `source` names the bytes in errors.
    static func decode(_ bytes: UnsafeRawBufferPointer, source: String, maxPixels: Int) throws -> RGBImage {
        try ShimCall.decode(format: .jpeg, source: source, maxPixels: maxPixels) { pixels, width, height, message, capacity in
            Int(qcs_jpeg_decode_rgb(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                                    UInt(maxPixels), &pixels, &width, &height, message, capacity))
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
        return try ShimCall.encode(format: .jpeg) { data, size, message, capacity in
            var length: UInt = 0
            let status = image.pixels.withUnsafeBufferPointer { pixels in
                qcs_jpeg_encode_rgb(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(quality),
                                    &data, &length, message, capacity)
            }
            size = Int(length)
            return Int(status)
        }
    }
}
