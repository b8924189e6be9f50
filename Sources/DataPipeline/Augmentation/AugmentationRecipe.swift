import Imaging
import Autograd

/// The per-image preprocessing of one data set and split, as the released QCS code runs it
/// (docs/MODEL.md, "Augmentation"): 8-bit steps, then normalisation to float CHW, then (training only)
/// random erasing. Each of the four images of a quadruplet goes through it independently, with
/// a generator keyed by (seed, epoch, sample, branch).
///
/// Sizes are those of the paper at a 224 input; for another input side S they scale to
/// round(S · size / 224), so a 112 recipe resizes to 116 (FERPlus) or 118 (AffectNet) then crops.
public struct AugmentationRecipe: Sendable, Equatable, CustomStringConvertible {
    /// Which data set's recipe. The synthetic faces use `rafdb` (same layout and image size).
    public enum Kind: String, CaseIterable, Sendable {
        case rafdb, ferplus, affectnet

        /// The released recipe of a data set layout; nil for the generic layouts (`list`,
        /// `folders`), whose config must name a recipe.
        public init?(_ dataset: DatasetKind) {
            switch dataset {
            case .rafdb: self = .rafdb
            case .ferplus: self = .ferplus
            case .affectnet7, .affectnet8: self = .affectnet
            case .list, .folders: return nil
            }
        }
    }

    public struct Options: Sendable, Equatable {
        /// Training recipe (random steps) or the test-time one (deterministic).
        public var training: Bool
        /// Side of the square network input.
        public var outputSize: Int
        public var normalization: ImageNormalization

        public init(training: Bool, outputSize: Int = 224, normalization: ImageNormalization = .imageNet) {
            self.training = training
            self.outputSize = outputSize
            self.normalization = normalization
        }
    }

    public let kind: Kind
    public let options: Options
    /// The 8-bit steps, in order.
    public let imageSteps: [ImageAugmentation]
    /// Applied to the normalised tensor, training only.
    public let erasing: RandomErasing?

    public var outputSize: Int { options.outputSize }
    public var normalization: ImageNormalization { options.normalization }
    /// Floats written per image: 3 · outputSize².
    public var floatsPerImage: Int { 3 * outputSize * outputSize }

    public init(kind: Kind, options: Options) throws(AugmentationError) {
        let s = options.outputSize
        guard s > 0 else { throw .invalidOutputSize(s) }
        let n = options.normalization
        guard n.mean.count == 3, n.std.count == 3, n.std.allSatisfy({ $0 > 0 }) else {
            throw .invalidNormalization(mean: n.mean, std: n.std)
        }
        func scaled(_ size: Int) -> Int { Int((Double(s) * Double(size) / 224).rounded()) }
        let jitter = ImageAugmentation.colorJitter(
            ColorJitter(brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1))
        let flip = ImageAugmentation.horizontalFlip(probability: 0.5)
        var steps: [ImageAugmentation]
        var erasing: RandomErasing?
        switch (kind, options.training) {
        case (.rafdb, true):
            steps = [.resize(size: s), flip, jitter]
            erasing = RandomErasing(probability: 0.5, scale: 0.02...0.1)
        case (.rafdb, false):
            steps = [.resize(size: s)]
        case (.ferplus, true):
            steps = [.resize(size: scaled(232)), flip, .rotation(maxDegrees: 10), .randomCrop(size: s), jitter]
            erasing = RandomErasing(probability: 0.5, scale: 0.02...0.1)
        case (.ferplus, false):
            steps = [.resize(size: scaled(232)), .centerCrop(size: s)]
        case (.affectnet, true):
            steps = [.resize(size: scaled(236)), flip, .rotation(maxDegrees: 12), .randomCrop(size: s), jitter]
            erasing = RandomErasing(probability: 0.5, scale: 0.03...0.1)
        case (.affectnet, false):
            steps = [.resize(size: scaled(236)), .centerCrop(size: s)]
        }
        // Every recipe starts with a resize, so sizes are known from here on.
        var side = 0
        for step in steps {
            if case .randomCrop(let c) = step, c > side { throw .cropLargerThanImage(recipe: kind.rawValue, crop: c, image: side) }
            if case .centerCrop(let c) = step, c > side { throw .cropLargerThanImage(recipe: kind.rawValue, crop: c, image: side) }
            side = step.outputSize(after: side)
        }
        self.kind = kind
        self.options = options
        self.imageSteps = steps
        self.erasing = erasing
        fixedStepCount = steps.prefix { !$0.drawsRandomly }.count
    }

    /// The generator for one image of one quadruplet: `sample` is the quadruplet's position in
    /// the epoch's global plan and `branch` 0…3 (anchor, positive, negative, negative2), so the
    /// draw does not depend on which rank or thread does the work.
    public static func rng(seed: UInt64, epoch: Int, sample: Int, branch: Int) -> SeededRNG {
        SeededRNG(seed: seed, purpose: .augmentation,
                  keys: [UInt64(truncatingIfNeeded: epoch), UInt64(truncatingIfNeeded: sample),
                         UInt64(truncatingIfNeeded: branch)])
    }

    /// How many of the leading 8-bit steps draw nothing from the generator (resize, centre crop):
    /// what they make depends on the image alone, so a loader may keep it for the next epoch
    /// (`PreparedImageCache`). The random steps after them see the generator untouched.
    public let fixedStepCount: Int

    /// The image after the fixed leading steps (`fixedStepCount`); the image itself when there are none.
    public func prepared(_ image: RGBImage) -> RGBImage {
        var rng = SeededRNG(seed: 0)  // never drawn from: these steps are not random
        var current = image
        for step in imageSteps.prefix(fixedStepCount) { current = step.apply(to: current, &rng) }
        return current
    }

    /// Runs the 8-bit steps only (what a contact sheet of augmented samples shows).
    public func augmentedImage(_ image: RGBImage, _ rng: inout SeededRNG) -> RGBImage {
        augmented(prepared: prepared(image), &rng)
    }

    /// The random 8-bit steps, on an image that went through `prepared` already.
    func augmented(prepared image: RGBImage, _ rng: inout SeededRNG) -> RGBImage {
        var current = image
        for step in imageSteps.dropFirst(fixedStepCount) { current = step.apply(to: current, &rng) }
        return current
    }

    /// The whole recipe: writes 3 · outputSize² floats (CHW) at the start of `output`.
    public func apply(to image: RGBImage, _ rng: inout SeededRNG, into output: UnsafeMutableBufferPointer<Float>) {
        apply(prepared: prepared(image), &rng, into: output)
    }

    /// The same from an image that went through `prepared` (a cached one) already.
    public func apply(prepared image: RGBImage, _ rng: inout SeededRNG, into output: UnsafeMutableBufferPointer<Float>) {
        let augmented = augmented(prepared: image, &rng)
        precondition(augmented.width == outputSize && augmented.height == outputSize,
                     "recipe \(self) produced \(augmented.width)x\(augmented.height)")
        normalization.write(augmented, into: output)
        if let erasing, let region = erasing.draw(height: outputSize, width: outputSize, &rng) {
            RandomErasing.erase(region, in: output, channels: 3, height: outputSize, width: outputSize)
        }
    }

    /// The whole recipe into item `item` of an N x 3 x S x S batch tensor.
    public func apply(to image: RGBImage, _ rng: inout SeededRNG, into batch: Tensor, item: Int) {
        precondition(batch.shape.count == 4 && Array(batch.shape.dropFirst()) == [3, outputSize, outputSize]
                     && item >= 0 && item < batch.shape[0],
                     "batch \(batch.shape) has no item \(item) of 3x\(outputSize)x\(outputSize)")
        let slice = UnsafeMutableBufferPointer(start: batch.data + item * floatsPerImage, count: floatsPerImage)
        apply(to: image, &rng, into: slice)
    }

    public var description: String {
        let split = options.training ? "train" : "test"
        var parts = imageSteps.map(\.description) + [normalization.description]
        if let erasing { parts.append(erasing.description) }
        return "\(kind.rawValue) \(split): " + parts.joined(separator: " → ")
    }
}
