import Autograd
import DataPipeline
import Foundation
import Imaging
import XCTest

/// The image cache changes where pixels come from, never which: every batch with it equals the
/// batch without it, in the epoch that fills it and in the epochs that read it.
final class PreparedImageCacheTests: XCTestCase {
    typealias Copied = LoaderFixtures.Copied

    func epochs(_ samples: [Sample], recipe: AugmentationRecipe, cache: PreparedImageCache?, threads: Int = 2,
                policy: BadImagePolicy = .stop) throws -> [[Copied]] {
        let sampler = try QuadrupletSampler(labels: samples.map(\.label), classCount: 7, rule: .everyImageOnce, seed: 5,
                                            allowSingletonClasses: true)
        return try (0..<3).map { epoch in
            let loader = try QuadrupletLoader(samples: samples, recipe: recipe,
                                              batches: try sampler.plan(epoch: epoch).batches(batchSize: 4),
                                              rank: 0, worldSize: 1, seed: 9, epoch: epoch,
                                              options: .init(threads: threads, prefetch: 2),
                                              badImages: BadImageHandler(policy: policy), imageCache: cache)
            return try LoaderFixtures.drain(loader)
        }
    }

    /// RAF-DB's recipe shrinking 40x40 JPEG files to 24: the resized images are kept (smaller
    /// than the decoded ones), each once, and three epochs are bit for bit the uncached ones.
    func testShrinkingRecipe_keepsResizedImages_andChangesNoBatch() throws {
        let set = try SyntheticRAFSet(trainCount: 14, imageSize: 40)
        let recipe = try AugmentationRecipe(kind: .rafdb, options: .init(training: true, outputSize: 24))
        XCTAssertEqual(recipe.fixedStepCount, 1, "resize is RAF-DB's fixed step")
        let plain = try epochs(set.samples, recipe: recipe, cache: nil)
        let cache = PreparedImageCache(recipe: recipe, budgetBytes: 1 << 20)
        XCTAssertEqual(try epochs(set.samples, recipe: recipe, cache: cache, threads: 3), plain)
        XCTAssertEqual(cache.usage.images, set.samples.count)
        XCTAssertEqual(cache.usage.bytes, set.samples.count * 24 * 24 * 3, "the 24x24 images, not the 40x40 ones")
        XCTAssertEqual(cache.usage.notKept, 0)
        // The epochs after the first read the cache only: files removed now are not missed.
        try FileManager.default.removeItem(at: set.root)
        XCTAssertEqual(try epochs(set.samples, recipe: recipe, cache: cache), plain)
    }

    /// A recipe that enlarges (40x40 to 56) keeps the decoded images and resizes on each use.
    func testEnlargingRecipe_keepsDecodedImages() throws {
        let set = try SyntheticRAFSet(trainCount: 10, imageSize: 40)
        let recipe = try AugmentationRecipe(kind: .rafdb, options: .init(training: true, outputSize: 56))
        let cache = PreparedImageCache(recipe: recipe, budgetBytes: 1 << 20)
        XCTAssertEqual(try epochs(set.samples, recipe: recipe, cache: cache), try epochs(set.samples, recipe: recipe, cache: nil))
        XCTAssertEqual(cache.usage.bytes, set.samples.count * 40 * 40 * 3)
    }

    /// The budget is a hard limit: what does not fit is decoded on every use, and counted.
    func testBudget_isNeverExceeded_andWhatDoesNotFitStillLoads() throws {
        let set = try SyntheticRAFSet(trainCount: 14, imageSize: 40)
        let recipe = try AugmentationRecipe(kind: .rafdb, options: .init(training: true, outputSize: 24))
        let budget = 5 * 24 * 24 * 3 + 100
        let cache = PreparedImageCache(recipe: recipe, budgetBytes: budget)
        XCTAssertEqual(try epochs(set.samples, recipe: recipe, cache: cache), try epochs(set.samples, recipe: recipe, cache: nil))
        XCTAssertEqual(cache.usage.images, 5)
        XCTAssertLessThanOrEqual(cache.usage.bytes, budget)
        XCTAssertEqual(cache.usage.notKept, set.samples.count - 5)
    }

    /// Grey rows already in memory (20x20): kept resized where FERPlus's recipe shrinks them
    /// (to 17 at a 16 input), not copied into the cache where it enlarges them (to 25 at 24).
    func testInMemoryImages_keptOnlyWhenTheRecipeShrinksThem() throws {
        let samples = LoaderFixtures.greySamples(14)
        for (size, kept) in [(16, 17 * 17 * 3), (24, 0)] {
            let recipe = try AugmentationRecipe(kind: .ferplus, options: .init(training: true, outputSize: size))
            let cache = PreparedImageCache(recipe: recipe, budgetBytes: 1 << 20)
            XCTAssertEqual(try epochs(samples, recipe: recipe, cache: cache), try epochs(samples, recipe: recipe, cache: nil))
            XCTAssertEqual(cache.usage.bytes, samples.count * kept, "input \(size)")
        }
    }

    /// An image the bad-image policy skips is never kept: it is skipped again in every epoch.
    func testSkippedImage_isNotKept_andSkippedEveryEpoch() throws {
        let set = try SyntheticRAFSet(trainCount: 14, imageSize: 40)
        try set.truncate(3)
        let recipe = try AugmentationRecipe(kind: .rafdb, options: .init(training: true, outputSize: 24))
        let cache = PreparedImageCache(recipe: recipe, budgetBytes: 1 << 20)
        let cached = try epochs(set.samples, recipe: recipe, cache: cache, policy: .skip)
        XCTAssertEqual(cached, try epochs(set.samples, recipe: recipe, cache: nil, policy: .skip))
        XCTAssertEqual(cache.usage.images, set.samples.count - 1)
        for (epoch, batches) in cached.enumerated() {
            let dropped = batches.flatMap(\.droppedPositions)
            XCTAssertFalse(dropped.isEmpty, "epoch \(epoch) leaves out the quadruplets that use image 3")
        }
    }
}
