#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The convention both C shims keep (`Sources/CJPEG/shim.h`, `Sources/CPNG/shim.h`): a status
/// (0 done, 1 the library refused the data, 2 more pixels than allowed, 3 out of memory), a
/// malloc'ed result the caller frees, and the library's message in a buffer the caller gives.
/// The codecs differ only in the C function they call.
enum ShimCall {
    static let done = 0, tooLarge = 2, outOfMemory = 3
    static let messageCapacity = 256

    /// Runs a shim's decode (`pixels`, `width`, `height`, message buffer, its capacity → status)
    /// and turns what it left into an image or the error that names `source`.
    static func decode(format: ImageFormat, source: String, maxPixels: Int,
                       _ call: (inout UnsafeMutablePointer<UInt8>?, inout UInt32, inout UInt32,
                                UnsafeMutablePointer<CChar>, Int) -> Int) throws -> RGBImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0, height: UInt32 = 0
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { call(&pixels, &width, &height, $0.baseAddress!, $0.count) }
        defer { free(pixels) }
        switch status {
        case done:
            guard let pixels else { throw ImageCodecError.outOfMemory(file: source) }
            let count = Int(width) * Int(height) * 3
            return RGBImage(width: Int(width), height: Int(height),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
        case tooLarge:
            throw ImageCodecError.tooLarge(file: source, width: Int(width), height: Int(height), limit: maxPixels)
        case outOfMemory:
            throw ImageCodecError.outOfMemory(file: source)
        default:
            throw ImageCodecError.corrupt(file: source, format: format, reason: ImageCodecError.libraryMessage(message))
        }
    }

    /// Runs a shim's encode (`data`, `size`, message buffer, its capacity → status) and returns its bytes.
    static func encode(format: ImageFormat,
                       _ call: (inout UnsafeMutablePointer<UInt8>?, inout Int, UnsafeMutablePointer<CChar>, Int) -> Int)
        throws -> [UInt8] {
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { call(&data, &size, $0.baseAddress!, $0.count) }
        defer { free(data) }
        guard status == done, let data else {
            throw ImageCodecError.encodeFailed(format: format, reason: ImageCodecError.libraryMessage(message))
        }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }
}
