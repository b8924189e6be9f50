/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B. What every codec decodes
/// to and every augmentation step reads and writes before normalisation to float.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// width · height · 3 bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniformly coloured image.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { p[3 * i] = fill.0; p[3 * i + 1] = fill.1; p[3 * i + 2] = fill.2 }
        self.init(width: width, height: height, pixels: p)
    }

    @inline(__always)
    public func index(x: Int, y: Int) -> Int { (y * width + x) * 3 }
}
