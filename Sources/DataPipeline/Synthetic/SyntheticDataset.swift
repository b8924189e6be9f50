import Imaging
import Autograd
import Foundation

/// The embedded default data set: procedurally drawn faces with seven expressions, laid out on
/// disk like RAF-DB's basic set, so the demo trains with no download and the same reader serves
/// both.
///
/// Each image and its label are a pure function of (seed, split, index), so growing the data set
/// keeps the images it had: identity, pose, light, occlusion, noise and expression intensity
/// come from a generator keyed by those three; labels come in blocks of 140 that hold each class
/// in its exact proportion (largest remainder), shuffled per block.
public struct SyntheticDataset: Sendable {
    public enum Split: String, CaseIterable, Sendable {
        case train, test
    }

    public struct Options: Sendable, Equatable {
        public var seed: UInt64
        public var trainCount: Int
        public var testCount: Int
        /// Side of the square images (RAF-DB's aligned faces are 100).
        public var imageSize: Int
        /// Relative class frequencies in RAF order (Surprise … Neutral); uniform by default.
        public var classProportions: [Double]

        public init(seed: UInt64 = 0, trainCount: Int = 2800, testCount: Int = 700, imageSize: Int = 100,
                    classProportions: [Double] = [Double](repeating: 1, count: 7)) {
            self.seed = seed
            self.trainCount = trainCount
            self.testCount = testCount
            self.imageSize = imageSize
            self.classProportions = classProportions
        }

        /// RAF-DB basic's training-set class frequencies, for a demo that is as imbalanced as
        /// the real thing (Happiness is 39 %, Fear 2.3 %).
        public static let rafdbProportions: [Double] = [1290, 281, 717, 4772, 1982, 705, 2524]
    }

    public let options: Options
    /// Class counts within one block of `labelBlock` consecutive images.
    private let blockCounts: [Int]
    static let labelBlock = 140

    public init(options: Options = Options()) throws(SyntheticDatasetError) {
        guard options.trainCount >= 0, options.testCount >= 0, options.trainCount + options.testCount > 0 else {
            throw .invalidOptions("train and test counts must be non-negative and not both zero, got \(options.trainCount) and \(options.testCount)")
        }
        guard options.imageSize >= 16 && options.imageSize <= 1024 else {
            throw .invalidOptions("image size \(options.imageSize) is outside 16…1024")
        }
        let p = options.classProportions
        guard p.count == Expression.allCases.count, p.allSatisfy({ $0 >= 0 && $0.isFinite }), p.reduce(0, +) > 0 else {
            throw .invalidOptions("class proportions need 7 non-negative numbers with a positive sum, got \(p)")
        }
        self.options = options
        blockCounts = Self.apportion(Self.labelBlock, proportions: p)
    }

    public func count(_ split: Split) -> Int { split == .train ? options.trainCount : options.testCount }

    /// Labels of a split in index order.
    public func labels(_ split: Split) -> [Expression] {
        (0..<count(split)).map { label(split, index: $0) }
    }

    public func label(_ split: Split, index: Int) -> Expression {
        let block = index / Self.labelBlock
        var labels: [Expression] = []
        labels.reserveCapacity(Self.labelBlock)
        for (c, n) in blockCounts.enumerated() { labels += [Expression](repeating: Expression.allCases[c], count: n) }
        var rng = SeededRNG(seed: options.seed, purpose: .syntheticLabels, keys: [Self.splitKey(split), UInt64(block)])
        for i in stride(from: labels.count - 1, to: 0, by: -1) { labels.swapAt(i, rng.index(below: i + 1)) }
        return labels[index % Self.labelBlock]
    }

    /// The face drawn for image `index` (0-based) of `split`.
    public func image(_ split: Split, index: Int) -> RGBImage {
        var rng = SeededRNG(seed: options.seed, purpose: .syntheticFace,
                            keys: [Self.splitKey(split), UInt64(index)])
        let face = FaceParameters.random(expression: label(split, index: index), &rng)
        return FaceRenderer.render(face, size: options.imageSize, &rng)
    }

    /// An image of a chosen expression that belongs to no split (for previews and tests).
    public static func sample(_ expression: Expression, seed: UInt64, size: Int = 100) -> RGBImage {
        var rng = SeededRNG(seed: seed, purpose: .syntheticFace, keys: [2, UInt64(expression.rawValue)])
        return FaceRenderer.render(FaceParameters.random(expression: expression, &rng), size: size, &rng)
    }

    static func splitKey(_ split: Split) -> UInt64 { split == .train ? 0 : 1 }

    /// `total` split over the classes in proportion, rounding by largest remainder (ties to the
    /// earlier class), so the counts sum to `total` exactly.
    static func apportion(_ total: Int, proportions: [Double]) -> [Int] {
        LargestRemainder.shares(of: total, weights: proportions)
    }
}
