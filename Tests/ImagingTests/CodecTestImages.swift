import Imaging

/// Deterministic pictures for codec tests.
enum CodecTestImages {
    /// Smooth colour ramps: what JPEG reproduces well, so round-trip errors stay small.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = image.index(x: x, y: y)
                image.pixels[i] = UInt8(x * 255 / max(width - 1, 1))
                image.pixels[i + 1] = UInt8(y * 255 / max(height - 1, 1))
                image.pixels[i + 2] = UInt8((x + y) * 255 / max(width + height - 2, 1))
            }
        }
        return image
    }

    /// Pseudo-random bytes (a fixed linear congruential sequence): incompressible, so encoded
    /// files are long enough to truncate in the middle of the image data.
    static func noise(width: Int, height: Int, seed: UInt32 = 12345) -> RGBImage {
        var state = seed
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in pixels.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            pixels[i] = UInt8(state >> 24)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Mean and largest absolute difference between two images' bytes.
    static func difference(_ a: RGBImage, _ b: RGBImage) -> (mean: Double, max: Int) {
        var total = 0, largest = 0
        for (p, q) in zip(a.pixels, b.pixels) {
            let d = abs(Int(p) - Int(q))
            total += d
            largest = max(largest, d)
        }
        return (Double(total) / Double(max(a.pixels.count, 1)), largest)
    }
}
