import Autograd
import DataPipeline
import Foundation

/// How a rank's training input is made, epoch by epoch: an epoch's plan cut into global batches
/// (at most `max_steps_per_epoch` of them), each cut into the ranks' slices, each slice decoded
/// and augmented with the training recipe. Training and `qcs debug replay` both build their input
/// here, so a replayed step sees exactly the images, augmentations and order the rank saw.
struct EpochFeeds {
    let train: [Sample]
    /// Draws each epoch's plan (on rank 0 of a run, which broadcasts it).
    let sampler: QuadrupletSampler
    let recipe: AugmentationRecipe
    let batchSize: Int
    let maxStepsPerEpoch: Int
    let accumulation: Int
    let seed: UInt64
    let loaderOptions: LoaderOptions
    let badImages: BadImageHandler
    /// The training images kept across this run's epochs (nil: `train.image_cache_mib` 0).
    let imageCache: PreparedImageCache?

    init(config c: TrainingConfig, train: [Sample], classCount: Int, loaderOptions: LoaderOptions,
         badImages: BadImageHandler) throws {
        self.train = train
        sampler = try QuadrupletSampler(labels: train.map(\.label), classCount: classCount, rule: SamplingRule(c.data.kind),
                                        seed: c.run.seed)
        recipe = try Self.recipe(c, training: true)
        batchSize = c.run.batchSize
        maxStepsPerEpoch = c.run.maxStepsPerEpoch
        accumulation = c.optim.gradientAccumulation
        seed = c.run.seed
        imageCache = c.run.imageCacheMiB > 0 ? PreparedImageCache(recipe: recipe, budgetBytes: c.run.imageCacheMiB << 20) : nil
        self.loaderOptions = loaderOptions
        self.badImages = badImages
    }

    /// The augmentation of a split. List and folder layouts have no recipe of their own in the
    /// paper: they get RAF-DB's.
    static func recipe(_ c: TrainingConfig, training: Bool) throws -> AugmentationRecipe {
        try AugmentationRecipe(kind: AugmentationRecipe.Kind(c.data.kind) ?? .rafdb,
                               options: .init(training: training, outputSize: c.model.imageSize))
    }

    /// The epoch's global batches, in order.
    func batches(of plan: [Quadruplet]) throws -> [GlobalBatch] {
        let batches = try plan.batches(batchSize: batchSize)
        return maxStepsPerEpoch > 0 ? Array(batches.prefix(maxStepsPerEpoch)) : batches
    }

    /// Rank `rank`'s feed of the epoch whose plan is `plan`, from global batch `skipping` on (a
    /// resumed epoch continues with its very next batch), whose first step is global step
    /// `firstStep` (from 1). `rankWeights` nil: even slices; `fault`: a test's bad input.
    func feed(plan: [Quadruplet], epoch: Int, skipping: Int, firstStep: Int, rank: Int, worldSize: Int,
              rankWeights: [Double]?, fault: TestFault? = nil) throws -> StepFeed {
        let loader = try QuadrupletLoader(samples: train, recipe: recipe, batches: Array(try batches(of: plan).dropFirst(skipping)),
                                          rank: rank, worldSize: worldSize, rankWeights: rankWeights, seed: seed,
                                          epoch: epoch, options: loaderOptions, badImages: badImages,
                                          imageCache: imageCache)
        return StepFeed(loader: loader, accumulation: accumulation, firstStep: firstStep, rank: rank, fault: fault)
    }
}
