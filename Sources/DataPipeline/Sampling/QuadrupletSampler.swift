import Autograd

/// Draws each epoch's quadruplets (anchor, positive, negative, negative2) from the training
/// labels with one of the released sampling rules.
///
/// The plan of an epoch is a pure function of (seed, epoch): it never depends on the number of
/// ranks, so a run resumed at another world size sees the same samples in the same order. Rank 0
/// builds it, cuts it into global batches (`batches(batchSize:)`) and each batch into per-rank
/// slices (`GlobalBatch.slice(rank:worldSize:)`).
///
/// Pairing rules: the positive is drawn uniformly from the anchor's class without the anchor,
/// negative2 uniformly from the negative's class without the negative. A class with one image
/// has no such partner; by default that is an error naming the classes, and with
/// `allowSingletonClasses` the image is paired with itself (reported in `warnings`). A class with
/// no images is never drawn.
public struct QuadrupletSampler: Sendable {
    public let rule: SamplingRule
    public let seed: UInt64
    public let classCount: Int
    /// Per image, its class.
    public let labels: [Int]
    /// Number of images per class.
    public let classSizes: [Int]
    /// Classes with exactly one image (allowed only with `allowSingletonClasses`).
    public let singletonClasses: [Int]
    /// Things the caller should log once (rank 0): classes never drawn, singleton fallbacks.
    public let warnings: [String]

    /// Image indices grouped by class; class c occupies `classStart[c]..<classStart[c + 1]`.
    private let byClass: [Int]
    private let classStart: [Int]
    /// Classes that have at least one image.
    private let nonEmptyClasses: [Int]

    public init(labels: [Int], classCount: Int, rule: SamplingRule, seed: UInt64,
                allowSingletonClasses: Bool = false) throws(SamplingError) {
        guard !labels.isEmpty else { throw .emptyDataset }
        var sizes = [Int](repeating: 0, count: max(classCount, 0))
        for (i, label) in labels.enumerated() {
            guard label >= 0 && label < classCount else {
                throw .labelOutOfRange(index: i, label: label, classCount: classCount)
            }
            sizes[label] += 1
        }
        let nonEmpty = (0..<classCount).filter { sizes[$0] > 0 }
        guard nonEmpty.count >= 2 else { throw .fewerThanTwoClasses(nonEmpty: nonEmpty) }
        let singletons = (0..<classCount).filter { sizes[$0] == 1 }
        if !singletons.isEmpty && !allowSingletonClasses { throw .singletonClasses(singletons) }

        var start = [Int](repeating: 0, count: classCount + 1)
        for c in 0..<classCount { start[c + 1] = start[c] + sizes[c] }
        var fill = start
        var grouped = [Int](repeating: 0, count: labels.count)
        for (i, label) in labels.enumerated() {
            grouped[fill[label]] = i
            fill[label] += 1
        }

        var warnings: [String] = []
        let empty = (0..<classCount).filter { sizes[$0] == 0 }
        if !empty.isEmpty { warnings.append("classes \(empty) have no training images and are never drawn") }
        if !singletons.isEmpty {
            warnings.append("classes \(singletons) have a single image: it serves as its own positive/negative2")
        }

        self.rule = rule
        self.seed = seed
        self.classCount = classCount
        self.labels = labels
        self.classSizes = sizes
        self.singletonClasses = singletons
        self.warnings = warnings
        self.byClass = grouped
        self.classStart = start
        self.nonEmptyClasses = nonEmpty
    }

    /// Quadruplets per epoch: every image once, or len/12 (at least one) for the balanced rule.
    public var quadrupletsPerEpoch: Int {
        switch rule {
        case .everyImageOnce: return labels.count
        case .classBalanced: return max(labels.count / 12, 1)
        }
    }

    /// The epoch's quadruplets in training order.
    public func plan(epoch: Int) -> [Quadruplet] {
        var rng = SeededRNG(seed: seed, purpose: .epochPlan, keys: [UInt64(truncatingIfNeeded: epoch)])
        var plan: [Quadruplet] = []
        plan.reserveCapacity(quadrupletsPerEpoch)
        switch rule {
        case .everyImageOnce:
            var order = Array(labels.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
            for anchor in order {
                let y = labels[anchor]
                let positive = other(inClass: y, than: anchor, &rng)
                let negative = imageOutside(class: y, &rng)
                let yNeg = labels[negative]
                let negative2 = other(inClass: yNeg, than: negative, &rng)
                plan.append(Quadruplet(anchor: anchor, positive: positive, negative: negative, negative2: negative2,
                                       anchorClass: y, negativeClass: yNeg))
            }
        case .classBalanced:
            for _ in 0..<quadrupletsPerEpoch {
                let k = rng.index(below: nonEmptyClasses.count)
                let y = nonEmptyClasses[k]
                let anchor = image(inClass: y, &rng)
                let positive = other(inClass: y, than: anchor, &rng)
                // Uniform over the other non-empty classes: skip the anchor's slot.
                var j = rng.index(below: nonEmptyClasses.count - 1)
                if j >= k { j += 1 }
                let yNeg = nonEmptyClasses[j]
                let negative = image(inClass: yNeg, &rng)
                let negative2 = other(inClass: yNeg, than: negative, &rng)
                plan.append(Quadruplet(anchor: anchor, positive: positive, negative: negative, negative2: negative2,
                                       anchorClass: y, negativeClass: yNeg))
            }
        }
        return plan
    }

    // MARK: - Draws

    private func image(inClass c: Int, _ rng: inout SeededRNG) -> Int {
        byClass[classStart[c] + rng.index(below: classSizes[c])]
    }

    /// Uniform over class `c` without `image`; the image itself for a singleton class.
    private func other(inClass c: Int, than image: Int, _ rng: inout SeededRNG) -> Int {
        let n = classSizes[c]
        guard n > 1 else { return image }
        // Draw among the first n − 1 slots; if that hits `image`, take the unused last slot.
        let candidate = byClass[classStart[c] + rng.index(below: n - 1)]
        return candidate == image ? byClass[classStart[c] + n - 1] : candidate
    }

    /// Uniform over all images whose class is not `c`.
    private func imageOutside(class c: Int, _ rng: inout SeededRNG) -> Int {
        let r = rng.index(below: labels.count - classSizes[c])
        return byClass[r < classStart[c] ? r : r + classSizes[c]]
    }
}
