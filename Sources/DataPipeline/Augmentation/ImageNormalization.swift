import Imaging
/// `ToTensor` then `Normalize(mean, std)`: uint8 HWC → float32 CHW, (v/255 − mean[c]) / std[c],
/// each operation rounded to float32 as PyTorch does it.
public struct ImageNormalization: Sendable, Equatable, CustomStringConvertible {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// The ImageNet statistics every QCS recipe uses.
    public static let imageNet = ImageNormalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// Writes `image` as 3 planes of height·width floats at the start of `output`.
    public func write(_ image: RGBImage, into output: UnsafeMutableBufferPointer<Float>) {
        let plane = image.width * image.height
        precondition(output.count >= 3 * plane, "normalise: buffer of \(output.count) floats for a \(image.width)x\(image.height) image")
        image.pixels.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                let m = mean[c], s = std[c]
                for p in 0..<plane {
                    output[c * plane + p] = (Float(src[p * 3 + c]) / 255 - m) / s
                }
            }
        }
    }

    public var description: String { "normalize(mean: \(mean), std: \(std))" }
}
