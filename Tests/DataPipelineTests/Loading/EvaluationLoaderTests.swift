import Imaging
import Autograd
import DataPipeline
import Foundation
import XCTest

final class EvaluationLoaderTests: XCTestCase {
    struct Copied: Equatable {
        var images: [Float]
        var flipped: [Float]?
        var labels: [Int]
        var indices: [Int]
    }

    let side = 16

    func testRecipe() throws -> AugmentationRecipe {
        try AugmentationRecipe(kind: .ferplus, options: .init(training: false, outputSize: side))
    }

    func load(_ samples: [Sample], batchSize: Int, rank: Int = 0, worldSize: Int = 1, flips: Bool = false,
              threads: Int = 2, policy: BadImagePolicy = .stop) throws -> [Copied] {
        let loader = try EvaluationLoader(samples: samples, recipe: try testRecipe(), batchSize: batchSize, rank: rank,
                                          worldSize: worldSize, flips: flips, options: .init(threads: threads, prefetch: 2),
                                          badImages: BadImageHandler(policy: policy))
        var result: [Copied] = []
        while let b = try loader.next() {
            XCTAssertEqual(b.images.shape, [b.labels.count, 3, side, side])
            result.append(Copied(images: b.images.array, flipped: b.flipped?.array, labels: b.labels, indices: b.sampleIndices))
        }
        XCTAssertEqual(result.count, loader.batchCount)
        return result
    }

    func testImages_areTheTestRecipeOfEachSample_inSplitOrder() throws {
        let samples = LoaderFixtures.greySamples(7)
        let batches = try load(samples, batchSize: 3)
        XCTAssertEqual(batches.map(\.indices), [[0, 1, 2], [3, 4, 5], [6]])
        XCTAssertEqual(batches.flatMap(\.labels), samples.map(\.label))
        let recipe = try testRecipe()
        var rng = SeededRNG(seed: 0)
        var expected = [Float](repeating: 0, count: recipe.floatsPerImage)
        expected.withUnsafeMutableBufferPointer { recipe.apply(to: try! samples[4].source.load(), &rng, into: $0) }
        XCTAssertEqual(Array(batches[1].images[recipe.floatsPerImage..<(2 * recipe.floatsPerImage)]), expected)
        XCTAssertEqual(try load(samples, batchSize: 3, threads: 1), batches)
    }

    func testRankParts_concatenateToTheSplit_andEveryRankYieldsAsManyBatches() throws {
        let samples = LoaderFixtures.greySamples(11)
        let whole = try load(samples, batchSize: 3)
        for worldSize in [2, 3, 12] {
            let ranks = try (0..<worldSize).map { try load(samples, batchSize: 3, rank: $0, worldSize: worldSize) }
            XCTAssertEqual(Set(ranks.map(\.count)).count, 1, "world \(worldSize): same batch count on every rank")
            XCTAssertEqual(ranks.flatMap { $0.flatMap(\.indices) }, Array(0..<11))
            XCTAssertEqual(ranks.flatMap { $0.flatMap(\.images) }, whole.flatMap(\.images))
        }
        // 11 over 3 ranks is 4, 4, 3: batches of 3 give [3, 1], [3, 1], [3, 0].
        let last = try load(samples, batchSize: 3, rank: 2, worldSize: 3)
        XCTAssertEqual(last.map(\.indices.count), [3, 0])
    }

    func testFlips_mirrorEveryRowOfEveryChannel() throws {
        let samples = LoaderFixtures.greySamples(3)
        let batch = try XCTUnwrap(try load(samples, batchSize: 3, flips: true).first)
        let flipped = try XCTUnwrap(batch.flipped)
        XCTAssertNotEqual(flipped, batch.images)
        for row in 0..<(3 * 3 * side) {
            for x in 0..<side { XCTAssertEqual(flipped[row * side + x], batch.images[row * side + side - 1 - x]) }
        }
    }

    func testSkip_leavesTheBadImageOut_stopThrowsNamingIt() throws {
        let set = try SyntheticRAFSet(trainCount: 6)
        let path = try set.truncate(1)
        let skipped = try load(set.samples, batchSize: 4, policy: .skip)
        XCTAssertEqual(skipped.map(\.indices), [[0, 2, 3], [4, 5]])
        XCTAssertThrowsError(try load(set.samples, batchSize: 4)) { error in
            XCTAssertEqual((error as? ImageCodecError)?.file, path)
        }
    }
}
