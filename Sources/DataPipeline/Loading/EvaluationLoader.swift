import Imaging
import Autograd

/// Decodes and preprocesses this rank's contiguous part of a split for evaluation, in batches of
/// `batchSize` images, on background threads.
///
/// Rank r of W takes the images `GlobalBatch.rankRange(count:rank:worldSize:)` gives it (the
/// first ranks one more when the split does not divide), so the ranks' parts concatenated in rank
/// order are the split in order. Every rank yields the same number of batches, ⌈⌈N/W⌉ / batch⌉,
/// the last ones possibly empty, so per-batch collectives stay in step.
///
/// Use the test-time recipe (`AugmentationRecipe(kind:options: .init(training: false, …))`).
/// A training recipe also works and is reproducible: image i draws from
/// `AugmentationRecipe.rng(seed: 0, epoch: 0, sample: i, branch: 0)`.
///
/// Bad images: under `skip` the image is left out of its batch and counted; under `stop`,
/// `next()` throws the codec error naming the file.
public final class EvaluationLoader {
    private let job: EvaluationJob
    private let consumer: RingConsumer

    /// Batches every rank yields.
    public var batchCount: Int { job.batches.count }

    /// - Parameter flips: also produce each image mirrored left-right (`EvaluationBatch.flipped`).
    public init(samples: [Sample], recipe: AugmentationRecipe, batchSize: Int, rank: Int, worldSize: Int,
                flips: Bool = false, options: LoaderOptions, badImages: BadImageHandler,
                decoder: ImageDecoder = ImageDecoder()) throws(LoaderError) {
        try options.validate()
        guard worldSize >= 1, rank >= 0, rank < worldSize else { throw .invalidRank(rank: rank, worldSize: worldSize) }
        guard batchSize >= 1 else { throw .invalidBatchSize(batchSize) }
        let part = GlobalBatch.rankRange(count: samples.count, rank: rank, worldSize: worldSize)
        let largestPart = (samples.count + worldSize - 1) / worldSize
        let count = (largestPart + batchSize - 1) / batchSize
        let batches = (0..<count).map { b in
            let start = min(part.lowerBound + b * batchSize, part.upperBound)
            return start..<min(start + batchSize, part.upperBound)
        }
        let job = EvaluationJob(samples: samples, recipe: recipe, batches: batches, flips: flips,
                                badImages: badImages, decoder: decoder)
        job.buffers = (0...options.prefetch).map { _ in
            BatchBuffer(parts: flips ? 2 : 1, capacity: min(batchSize, largestPart), floatsPerImage: recipe.floatsPerImage)
        }
        self.job = job
        let ring = PrefetchRing(taskCount: batches.map(\.count), threads: options.threads, prefetch: options.prefetch,
                                name: "qcs-eval-loader", work: job.run)
        consumer = RingConsumer(ring: ring, buffers: job.buffers, itemCounts: batches.map(\.count), tasksPerItem: 1)
    }

    /// The next batch in order; nil after the last.
    public func next() throws -> EvaluationBatch? {
        guard let done = try consumer.next() else { return nil }
        let range = job.batches[done.index]
        let buffer = done.buffer, kept = done.kept
        let shape = [3, job.recipe.outputSize, job.recipe.outputSize]
        let indices = kept.map { range.lowerBound + $0 }
        return EvaluationBatch(images: buffer.tensor(part: 0, count: kept.count, imageShape: shape),
                               flipped: job.flips ? buffer.tensor(part: 1, count: kept.count, imageShape: shape) : nil,
                               labels: indices.map { job.samples[$0].label }, sampleIndices: indices,
                               skippedImages: done.droppedTasks)
    }
}

/// The workers' view of an evaluation pass (see `QuadrupletJob` for why it is separate).
private final class EvaluationJob: @unchecked Sendable {
    let samples: [Sample]
    let recipe: AugmentationRecipe
    /// Per batch, the sample indices it covers.
    let batches: [Range<Int>]
    let flips: Bool
    let badImages: BadImageHandler
    let decoder: ImageDecoder
    /// Set once, before the workers start.
    var buffers: [BatchBuffer] = []

    init(samples: [Sample], recipe: AugmentationRecipe, batches: [Range<Int>], flips: Bool,
         badImages: BadImageHandler, decoder: ImageDecoder) {
        self.samples = samples
        self.recipe = recipe
        self.batches = batches
        self.flips = flips
        self.badImages = badImages
        self.decoder = decoder
    }

    func run(batch: Int, task: Int, slot: Int) throws -> Bool {
        let index = batches[batch].lowerBound + task
        guard let image = try badImages.load(samples[index], decoder: decoder) else { return false }
        var rng = AugmentationRecipe.rng(seed: 0, epoch: 0, sample: index, branch: 0)
        let buffer = buffers[slot]
        let output = buffer.image(part: 0, item: task)
        recipe.apply(to: image, &rng, into: output)
        if flips {
            Self.writeMirrored(output, into: buffer.image(part: 1, item: task), side: recipe.outputSize)
        }
        return true
    }

    /// Each row of each channel reversed: torch.flip(x, dims=[-1]) of a CHW image.
    static func writeMirrored(_ source: UnsafeMutableBufferPointer<Float>, into target: UnsafeMutableBufferPointer<Float>,
                              side: Int) {
        for row in 0..<(3 * side) {
            let start = row * side
            for x in 0..<side { target[start + x] = source[start + side - 1 - x] }
        }
    }
}
