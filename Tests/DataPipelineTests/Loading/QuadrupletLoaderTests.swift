import Imaging
import Autograd
import DataPipeline
import Foundation
import XCTest

final class QuadrupletLoaderTests: XCTestCase {
    typealias Copied = LoaderFixtures.Copied

    func load(samples: [Sample], batches: [GlobalBatch], rank: Int = 0, worldSize: Int = 1, seed: UInt64 = 7,
              epoch: Int = 0, threads: Int = 2, prefetch: Int = 2, policy: BadImagePolicy = .stop) throws -> [Copied] {
        let loader = try QuadrupletLoader(samples: samples, recipe: try LoaderFixtures.trainingRecipe(), batches: batches,
                                          rank: rank, worldSize: worldSize, seed: seed, epoch: epoch,
                                          options: .init(threads: threads, prefetch: prefetch),
                                          badImages: BadImageHandler(policy: policy))
        return try LoaderFixtures.drain(loader)
    }

    // MARK: - Determinism

    func testSameSeedAndEpoch_identicalTensors_forOneOrThreeThreadsAndAnyPrefetch() throws {
        let samples = LoaderFixtures.greySamples()
        let batches = try LoaderFixtures.plan(samples)
        let reference = try load(samples: samples, batches: batches, threads: 1, prefetch: 1)
        XCTAssertEqual(reference.map(\.index), [0, 1, 2])
        XCTAssertEqual(try load(samples: samples, batches: batches, threads: 3, prefetch: 1), reference)
        XCTAssertEqual(try load(samples: samples, batches: batches, threads: 3, prefetch: 4), reference)
        XCTAssertNotEqual(try load(samples: samples, batches: batches, epoch: 1, threads: 3).map(\.branches),
                          reference.map(\.branches), "another epoch draws other augmentations")
    }

    func testEachImage_isTheRecipeKeyedByItsPlanPositionAndBranch() throws {
        let samples = LoaderFixtures.greySamples()
        let batches = try LoaderFixtures.plan(samples)
        let recipe = try LoaderFixtures.trainingRecipe()
        let loaded = try load(samples: samples, batches: batches, seed: 11, epoch: 3, threads: 2)
        for (batch, copied) in zip(batches, loaded) {
            for (item, position) in copied.positions.enumerated() {
                let q = batch.quadruplets[position]
                for (branch, image) in q.images.enumerated() {
                    var rng = AugmentationRecipe.rng(seed: 11, epoch: 3, sample: position, branch: branch)
                    var expected = [Float](repeating: 0, count: recipe.floatsPerImage)
                    expected.withUnsafeMutableBufferPointer {
                        recipe.apply(to: try! samples[image].source.load(), &rng, into: $0)
                    }
                    let n = recipe.floatsPerImage
                    XCTAssertEqual(Array(copied.branches[branch][(item * n)..<((item + 1) * n)]), expected,
                                   "position \(position) branch \(branch)")
                }
            }
        }
    }

    func testConcatenatedRankSlices_equalWorldSizeOne_forTwoAndThreeRanks() throws {
        let samples = LoaderFixtures.greySamples()
        let batches = try LoaderFixtures.plan(samples)
        let single = try load(samples: samples, batches: batches)
        for worldSize in [2, 3] {
            let perRank = try (0..<worldSize).map {
                try load(samples: samples, batches: batches, rank: $0, worldSize: worldSize, threads: 1 + $0 % 2)
            }
            for (b, whole) in single.enumerated() {
                let parts = perRank.map { $0[b] }
                XCTAssertEqual(parts.map(\.index), [Int](repeating: b, count: worldSize))
                XCTAssertEqual(parts.flatMap(\.positions), whole.positions, "world \(worldSize) batch \(b)")
                XCTAssertEqual(parts.flatMap(\.labels), whole.labels)
                for branch in 0..<4 {
                    XCTAssertEqual(parts.flatMap { $0.branches[branch] }, whole.branches[branch],
                                   "world \(worldSize) batch \(b) branch \(branch)")
                }
            }
        }
    }

    func testLabels_areTheQuadrupletsClassesAndTheSamplesLabels() throws {
        let samples = LoaderFixtures.greySamples()
        let batches = try LoaderFixtures.plan(samples)
        for (batch, copied) in zip(batches, try load(samples: samples, batches: batches)) {
            XCTAssertEqual(copied.positions, Array(batch.positions))
            XCTAssertEqual(copied.labels, batch.quadruplets.map(\.anchorClass))
            XCTAssertEqual(copied.negativeLabels, batch.quadruplets.map(\.negativeClass))
            XCTAssertEqual(copied.labels, batch.quadruplets.map { samples[$0.positive].label })
            XCTAssertEqual(copied.negativeLabels, batch.quadruplets.map { samples[$0.negative2].label })
            XCTAssertEqual(copied.branches[0].count, batch.count * 3 * 16 * 16)
        }
    }

    func testShortBatch_rankWithEmptySlice_yieldsAnEmptyBatch() throws {
        let samples = LoaderFixtures.greySamples()
        let batches = try LoaderFixtures.plan(samples, batchSize: 6)   // 6, 6, 1
        let lastRank = try load(samples: samples, batches: batches, rank: 2, worldSize: 3)
        XCTAssertEqual(lastRank.map(\.index), [0, 1, 2])
        XCTAssertEqual(lastRank.map(\.positions.count), [2, 2, 0])
        XCTAssertEqual(lastRank[2].branches.map(\.count), [0, 0, 0, 0])
        XCTAssertEqual(lastRank[2].labels, [])
    }

    func testPlanFromAnotherList_isRejectedNamingThePosition() throws {
        let samples = LoaderFixtures.greySamples()
        let batches = try LoaderFixtures.plan(samples)
        XCTAssertThrowsError(try QuadrupletLoader(samples: Array(samples.prefix(4)), recipe: try LoaderFixtures.trainingRecipe(),
                                                  batches: batches, rank: 0, worldSize: 1, seed: 0, epoch: 0,
                                                  options: .init(), badImages: BadImageHandler(policy: .stop))) { error in
            guard case .sampleOutOfRange(_, let sample, let count)? = error as? LoaderError else {
                return XCTFail("\(error)")
            }
            XCTAssertGreaterThanOrEqual(sample, 4)
            XCTAssertEqual(count, 4)
        }
        XCTAssertThrowsError(try QuadrupletLoader(samples: samples, recipe: try LoaderFixtures.trainingRecipe(),
                                                  batches: batches, rank: 2, worldSize: 2, seed: 0, epoch: 0,
                                                  options: .init(), badImages: BadImageHandler(policy: .stop)))
    }

    // MARK: - Bad images

    func plan(_ set: SyntheticRAFSet) throws -> [GlobalBatch] {
        let sampler = try QuadrupletSampler(labels: set.samples.map(\.label), classCount: 7, rule: .everyImageOnce,
                                            seed: 2, allowSingletonClasses: true)
        return try sampler.plan(epoch: 0).batches(batchSize: 4)
    }

    func testSkip_dropsEveryQuadrupletUsingTheCorruptFile_andListsIt() throws {
        let set = try SyntheticRAFSet()
        let batches = try plan(set)
        let bad = 3
        let path = try set.truncate(bad)
        let handler = BadImageHandler(policy: .skip)
        let loader = try QuadrupletLoader(samples: set.samples, recipe: try LoaderFixtures.trainingRecipe(), batches: batches,
                                          rank: 0, worldSize: 1, seed: 1, epoch: 0, options: .init(threads: 2, prefetch: 1),
                                          badImages: handler)
        var dropped: [Int] = [], kept: [Int] = [], skippedImages = 0
        while let loaded = try loader.next() {
            XCTAssertEqual(loaded.anchor.shape[0], loaded.positions.count)
            XCTAssertEqual(loaded.labels.count, loaded.positions.count)
            dropped += loaded.droppedPositions
            kept += loaded.positions
            skippedImages += loaded.skippedImages
        }
        let plan = batches.flatMap(\.quadruplets)
        let usesBad = plan.indices.filter { plan[$0].images.contains(bad) }
        XCTAssertFalse(usesBad.isEmpty, "the fixture must use the corrupt image")
        XCTAssertEqual(dropped, usesBad)
        XCTAssertEqual(kept, plan.indices.filter { !usesBad.contains($0) })
        let uses = plan.map { $0.images.filter { $0 == bad }.count }.reduce(0, +)
        XCTAssertEqual(skippedImages, uses)
        // The handler lists the image once, however many quadruplets used it.
        XCTAssertGreaterThan(uses, 1, "the fixture must use the corrupt image more than once")
        XCTAssertEqual(handler.skipped.map(\.file), [path])
    }

    func testSkip_keptQuadruplets_matchARunWithoutTheBadFile() throws {
        let set = try SyntheticRAFSet()
        let batches = try plan(set)
        let clean = try load(samples: set.samples, batches: batches)
        try set.truncate(5)
        let skipped = try load(samples: set.samples, batches: batches, policy: .skip)
        let n = 3 * 16 * 16
        for (c, s) in zip(clean, skipped) {
            for (item, position) in s.positions.enumerated() {
                guard let cleanItem = c.positions.firstIndex(of: position) else { return XCTFail("position \(position)") }
                for branch in 0..<4 {
                    XCTAssertEqual(Array(s.branches[branch][(item * n)..<((item + 1) * n)]),
                                   Array(c.branches[branch][(cleanItem * n)..<((cleanItem + 1) * n)]),
                                   "compaction moved position \(position) intact")
                }
            }
        }
    }

    func testStop_throwsTheCodecErrorNamingTheFile_afterTheEarlierBatches() throws {
        let set = try SyntheticRAFSet()
        let batches = try plan(set)
        let plan = batches.flatMap(\.quadruplets)
        let bad = plan[plan.count - 1].negative  // an image used in the last batch
        let firstUse = plan.firstIndex { $0.images.contains(bad) } ?? 0
        let failingBatch = batches.firstIndex { $0.positions.contains(firstUse) } ?? 0
        let path = try set.truncate(bad)
        let loader = try QuadrupletLoader(samples: set.samples, recipe: try LoaderFixtures.trainingRecipe(), batches: batches,
                                          rank: 0, worldSize: 1, seed: 1, epoch: 0, options: .init(threads: 3, prefetch: 2),
                                          badImages: BadImageHandler(policy: .stop))
        for b in 0..<failingBatch { XCTAssertEqual(try loader.next()?.globalIndex, b) }
        XCTAssertThrowsError(try loader.next()) { error in
            XCTAssertEqual((error as? ImageCodecError)?.file, path)
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        XCTAssertThrowsError(try loader.next(), "the loader stays failed")
    }

    // MARK: - Threads and memory

    func testEarlyRelease_stopsTheThreadsWithoutHanging() throws {
        let samples = LoaderFixtures.greySamples(40)
        let batches = try LoaderFixtures.plan(samples, batchSize: 2)
        let recipe = try LoaderFixtures.trainingRecipe()
        LoaderFixtures.assertFinishes(within: 20, "releasing loaders mid-epoch") {
            for taken in [0, 1, 5] {
                let loader = try? QuadrupletLoader(samples: samples, recipe: recipe, batches: batches, rank: 0, worldSize: 1,
                                                   seed: 0, epoch: 0, options: .init(threads: 3, prefetch: 2),
                                                   badImages: BadImageHandler(policy: .stop))
                for _ in 0..<taken { _ = try? loader?.next() }
                // The workers are now blocked on a full ring (or mid-task); deinit must wake and join them.
            }
        }
    }

    func testBuffers_areReusedAcrossBatches_andABatchKeptPastNextIsNotOverwritten() throws {
        let samples = LoaderFixtures.greySamples(24)
        let batches = try LoaderFixtures.plan(samples, batchSize: 2)   // 12 batches
        let loader = try QuadrupletLoader(samples: samples, recipe: try LoaderFixtures.trainingRecipe(), batches: batches,
                                          rank: 0, worldSize: 1, seed: 0, epoch: 0, options: .init(threads: 2, prefetch: 2),
                                          badImages: BadImageHandler(policy: .stop))
        let kept = try XCTUnwrap(try loader.next())
        let keptValues = kept.images.map(\.array)
        var pointers: Set<UnsafeMutablePointer<Float>> = []
        var count = 1
        while let loaded = try loader.next() {
            pointers.insert(loaded.anchor.storage.pointer)
            count += 1
        }
        XCTAssertEqual(count, 12)
        XCTAssertLessThanOrEqual(pointers.count, 3, "11 batches through prefetch + 1 = 3 buffers")
        XCTAssertEqual(kept.images.map(\.array), keptValues, "the held batch's slot took fresh memory")
        XCTAssertFalse(pointers.contains(kept.anchor.storage.pointer))
    }
}
