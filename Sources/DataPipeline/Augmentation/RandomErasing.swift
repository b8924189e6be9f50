import Autograd
import Foundation

/// torchvision's `RandomErasing(p, scale, ratio, value=0)` on a normalised CHW image: with
/// probability `p`, up to ten tries to find a rectangle of area fraction in `scale` and aspect
/// ratio (log-uniform) in `ratio` that fits strictly inside; the first that fits is set to 0
/// (the mean colour, since it runs after normalisation). If none fits, nothing is erased.
public struct RandomErasing: Sendable, Equatable, CustomStringConvertible {
    public var probability: Double
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>

    public init(probability: Double, scale: ClosedRange<Double>, ratio: ClosedRange<Double> = 0.3...3.3) {
        self.probability = probability
        self.scale = scale
        self.ratio = ratio
    }

    /// The erased rectangle, in pixels.
    public struct Region: Sendable, Equatable {
        public var top: Int, left: Int, height: Int, width: Int
    }

    /// Draws the region for one image of `height`x`width`, or nil when the coin says no or no
    /// try fits.
    public func draw(height: Int, width: Int, _ rng: inout SeededRNG) -> Region? {
        guard rng.bernoulli(probability) else { return nil }
        let area = Double(height * width)
        let logRatio = (log(ratio.lowerBound), log(ratio.upperBound))
        for _ in 0..<10 {
            let eraseArea = area * rng.uniformDouble(scale.lowerBound, scale.upperBound)
            let aspect = exp(rng.uniformDouble(logRatio.0, logRatio.1))
            let h = Int((eraseArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let w = Int((eraseArea / aspect).squareRoot().rounded(.toNearestOrEven))
            guard h < height && w < width else { continue }
            let top = rng.index(below: height - h + 1)
            let left = rng.index(below: width - w + 1)
            return Region(top: top, left: left, height: h, width: w)
        }
        return nil
    }

    /// Zeroes `region` in every channel of a CHW image.
    public static func erase(_ region: Region, in image: UnsafeMutableBufferPointer<Float>,
                             channels: Int, height: Int, width: Int) {
        precondition(image.count >= channels * height * width, "erase: buffer smaller than \(channels)x\(height)x\(width)")
        for c in 0..<channels {
            for y in region.top..<(region.top + region.height) {
                let row = (c * height + y) * width
                for x in region.left..<(region.left + region.width) { image[row + x] = 0 }
            }
        }
    }

    public var description: String {
        "randomErasing(p: \(probability), scale: \(scale.lowerBound)–\(scale.upperBound), ratio: \(ratio.lowerBound)–\(ratio.upperBound))"
    }
}
