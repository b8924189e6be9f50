import Imaging
import Autograd

/// Decodes and augments this rank's share of an epoch's quadruplet plan on background threads,
/// ahead of training, into a fixed ring of reused batch buffers.
///
/// For every global batch the rank takes `GlobalBatch.slice(rank:worldSize:)`, loads the four
/// images of each quadruplet and runs `recipe` on each with the generator
/// `AugmentationRecipe.rng(seed:epoch:sample:branch:)`, `sample` being the quadruplet's position
/// in the global plan. A tensor therefore depends only on (seed, epoch, position, branch): not
/// on the rank count, the thread count, the prefetch depth or timing.
///
/// Bad images follow `badImages.policy`:
/// - `skip`: a quadruplet with any unreadable image is left out of its batch (B shrinks), its
///   plan position is listed in `LoadedQuadruplets.droppedPositions`, the image in
///   `badImages.skipped`. The other ranks are unaffected: they keep their own slices.
/// - `stop`: `next()` throws the codec's `ImageCodecError` (it names the file) when it reaches
///   the batch holding the image, after every earlier batch; later calls throw it again.
///
/// A rank whose slice of a short batch is empty still gets that batch (B = 0), so every rank
/// sees the same number of batches and collective operations stay in step.
///
/// `imageCache` (made for `recipe`, shared across the run's epochs) keeps images after the
/// recipe's fixed steps, so a file is decoded and resized once per run; batches are the same.
///
/// Usage: `while let loaded = try loader.next() { … }`. Releasing the loader early stops and
/// joins its threads.
public final class QuadrupletLoader {
    private let job: QuadrupletJob
    private let consumer: RingConsumer

    /// Batches this rank will yield (one per global batch, possibly empty).
    public var batchCount: Int { job.slices.count }

    /// - Throws: `LoaderError` for bad options or rank, or a plan whose image indices do not fit
    ///   `samples`.
    /// `rankWeights` (one per rank) shares each batch out in proportion instead of evenly
    /// (`GlobalBatch.slice(rank:worldSize:weights:)`).
    public init(samples: [Sample], recipe: AugmentationRecipe, batches: [GlobalBatch], rank: Int, worldSize: Int,
                rankWeights: [Double]? = nil, seed: UInt64, epoch: Int, options: LoaderOptions,
                badImages: BadImageHandler, decoder: ImageDecoder = ImageDecoder(),
                imageCache: PreparedImageCache? = nil) throws(LoaderError) {
        try options.validate()
        precondition(imageCache.map { $0.recipe == recipe } ?? true, "an image cache serves the recipe it was made for")
        guard worldSize >= 1, rank >= 0, rank < worldSize else { throw .invalidRank(rank: rank, worldSize: worldSize) }
        if let rankWeights, rankWeights.count != worldSize || !rankWeights.allSatisfy({ $0 > 0 }) {
            throw .invalidRankWeights(rankWeights, worldSize: worldSize)
        }
        let slices = batches.map { $0.slice(rank: rank, worldSize: worldSize, weights: rankWeights) }
        for slice in slices {
            for (position, q) in zip(slice.indices, slice) {
                for image in q.images where !samples.indices.contains(image) {
                    throw .sampleOutOfRange(planPosition: position, sample: image, sampleCount: samples.count)
                }
            }
        }
        let capacity = slices.map(\.count).max() ?? 0
        let job = QuadrupletJob(samples: samples, recipe: recipe, slices: slices, batchIndices: batches.map(\.index),
                                seed: seed, epoch: epoch, badImages: badImages, decoder: decoder, cache: imageCache)
        job.buffers = (0...options.prefetch).map { _ in
            BatchBuffer(parts: 4, capacity: capacity, floatsPerImage: recipe.floatsPerImage)
        }
        self.job = job
        let ring = PrefetchRing(taskCount: slices.map { 4 * $0.count }, threads: options.threads,
                                prefetch: options.prefetch, name: "qcs-loader", work: job.run)
        consumer = RingConsumer(ring: ring, buffers: job.buffers, itemCounts: slices.map(\.count), tasksPerItem: 4)
    }

    /// The next batch in order; nil after the last. Drop the previous batch's tensors before
    /// calling it, so that its buffer is reused (see `LoadedQuadruplets`).
    public func next() throws -> LoadedQuadruplets? {
        guard let done = try consumer.next() else { return nil }
        let slice = job.slices[done.index]
        let buffer = done.buffer, kept = done.kept
        let first = slice.startIndex
        let imageShape = [3, job.recipe.outputSize, job.recipe.outputSize]
        func branch(_ part: Int) -> Tensor { buffer.tensor(part: part, count: kept.count, imageShape: imageShape) }
        return LoadedQuadruplets(anchor: branch(0), positive: branch(1), negative: branch(2), negative2: branch(3),
                                 labels: kept.map { slice[first + $0].anchorClass },
                                 negativeLabels: kept.map { slice[first + $0].negativeClass },
                                 globalIndex: job.batchIndices[done.index],
                                 positions: kept.map { first + $0 },
                                 droppedPositions: done.dropped.map { first + $0 },
                                 skippedImages: done.droppedTasks)
    }
}

/// What the workers read: the plan slices, the samples and the recipe (immutable), and the ring's
/// buffers. Kept apart from the loader so that the worker threads do not keep it alive.
private final class QuadrupletJob: @unchecked Sendable {
    let samples: [Sample]
    let recipe: AugmentationRecipe
    let slices: [ArraySlice<Quadruplet>]
    let batchIndices: [Int]
    let seed: UInt64
    let epoch: Int
    let badImages: BadImageHandler
    let decoder: ImageDecoder
    let cache: PreparedImageCache?
    /// Set once, before the workers start.
    var buffers: [BatchBuffer] = []

    init(samples: [Sample], recipe: AugmentationRecipe, slices: [ArraySlice<Quadruplet>], batchIndices: [Int],
         seed: UInt64, epoch: Int, badImages: BadImageHandler, decoder: ImageDecoder, cache: PreparedImageCache?) {
        self.samples = samples
        self.recipe = recipe
        self.slices = slices
        self.batchIndices = batchIndices
        self.seed = seed
        self.epoch = epoch
        self.badImages = badImages
        self.decoder = decoder
        self.cache = cache
    }

    /// Task `task` of a batch: branch `task % 4` of its quadruplet `task / 4`.
    func run(batch: Int, task: Int, slot: Int) throws -> Bool {
        let slice = slices[batch]
        let item = task / 4, branch = task % 4
        let position = slice.startIndex + item
        let index = slice[position].image(branch: branch)
        let sample = samples[index]
        let loaded: RGBImage?
        if let cache {
            loaded = try cache.prepared(index, source: sample.source) { try badImages.load(sample, decoder: decoder) }
        } else {
            loaded = try badImages.load(sample, decoder: decoder).map(recipe.prepared)
        }
        guard let prepared = loaded else { return false }
        var rng = AugmentationRecipe.rng(seed: seed, epoch: epoch, sample: position, branch: branch)
        recipe.apply(prepared: prepared, &rng, into: buffers[slot].image(part: branch, item: item))
        return true
    }
}
