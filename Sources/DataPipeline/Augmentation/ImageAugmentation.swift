import Imaging
import Autograd

/// One 8-bit step of a recipe, before normalisation. Random steps draw from the generator they
/// are given, in recipe order, so one (seed, epoch, sample, branch) key fixes every choice.
public enum ImageAugmentation: Sendable, Equatable, CustomStringConvertible {
    /// Bilinear (Pillow-exact) resize to size x size.
    case resize(size: Int)
    /// Mirror left-right with this probability.
    case horizontalFlip(probability: Double)
    /// Rotate by an angle uniform in [−maxDegrees, maxDegrees], nearest, same size, black fill.
    case rotation(maxDegrees: Double)
    /// A size x size window at a uniformly drawn position (torchvision `RandomCrop`, no padding).
    case randomCrop(size: Int)
    /// The central size x size window (torchvision `CenterCrop`).
    case centerCrop(size: Int)
    case colorJitter(ColorJitter)

    public func apply(to image: RGBImage, _ rng: inout SeededRNG) -> RGBImage {
        switch self {
        case .resize(let size):
            return image.resizedBilinear(size: size)
        case .horizontalFlip(let p):
            return rng.bernoulli(p) ? image.flippedHorizontally() : image
        case .rotation(let maxDegrees):
            return image.rotated(degrees: rng.uniformDouble(-maxDegrees, maxDegrees))
        case .randomCrop(let size):
            let top = rng.index(below: image.height - size + 1)
            let left = rng.index(below: image.width - size + 1)
            return image.cropped(x: left, y: top, width: size, height: size)
        case .centerCrop(let size):
            return image.centerCropped(width: size, height: size)
        case .colorJitter(let jitter):
            return jitter.apply(jitter.draw(&rng), to: image)
        }
    }

    /// Whether the step takes anything from the generator (its output is not the image's alone).
    var drawsRandomly: Bool {
        switch self {
        case .resize, .centerCrop: false
        case .horizontalFlip, .rotation, .randomCrop, .colorJitter: true
        }
    }

    /// The side of the image after this step, given the side before it.
    func outputSize(after input: Int) -> Int {
        switch self {
        case .resize(let size), .randomCrop(let size), .centerCrop(let size): return size
        case .horizontalFlip, .rotation, .colorJitter: return input
        }
    }

    public var description: String {
        switch self {
        case .resize(let s): return "resize(\(s))"
        case .horizontalFlip(let p): return "horizontalFlip(p: \(p))"
        case .rotation(let d): return "rotation(±\(d)°)"
        case .randomCrop(let s): return "randomCrop(\(s))"
        case .centerCrop(let s): return "centerCrop(\(s))"
        case .colorJitter(let j): return j.description
        }
    }
}
