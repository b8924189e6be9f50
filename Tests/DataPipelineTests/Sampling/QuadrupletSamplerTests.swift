import Autograd
import DataPipeline
import XCTest

final class QuadrupletSamplerTests: XCTestCase {
    /// An imbalanced 7-class list shaped like RAF-DB's (largest class ~8x the smallest),
    /// interleaved so that class membership is not contiguous in the list.
    private func imbalancedLabels() -> [Int] {
        let sizes = [40, 10, 12, 90, 35, 12, 60]
        var labels: [Int] = []
        for round in 0..<sizes.max()! {
            for c in 0..<sizes.count where round < sizes[c] { labels.append(c) }
        }
        return labels
    }

    private func assertValid(_ q: Quadruplet, _ labels: [Int], allowSelfPairs: Bool = false,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(labels[q.anchor], q.anchorClass, file: file, line: line)
        XCTAssertEqual(labels[q.positive], q.anchorClass, file: file, line: line)
        XCTAssertEqual(labels[q.negative], q.negativeClass, file: file, line: line)
        XCTAssertEqual(labels[q.negative2], q.negativeClass, file: file, line: line)
        XCTAssertNotEqual(q.anchorClass, q.negativeClass, file: file, line: line)
        if !allowSelfPairs {
            XCTAssertNotEqual(q.anchor, q.positive, file: file, line: line)
            XCTAssertNotEqual(q.negative, q.negative2, file: file, line: line)
        }
    }

    // MARK: - Rule (a): every image once

    func testEveryImageOnce_eachImageIsAnchorExactlyOnceAndPairsAreValid() throws {
        let labels = imbalancedLabels()
        let sampler = try QuadrupletSampler(labels: labels, classCount: 7, rule: .everyImageOnce, seed: 1)
        let plan = sampler.plan(epoch: 0)
        XCTAssertEqual(plan.count, labels.count)
        XCTAssertEqual(Set(plan.map(\.anchor)), Set(labels.indices))
        for q in plan { assertValid(q, labels) }
        XCTAssertNotEqual(plan.map(\.anchor), Array(labels.indices), "anchors are shuffled")
    }

    /// The negative is uniform over all other-class images, so given an anchor of class y its
    /// class c appears with probability size(c) / (N − size(y)).
    func testEveryImageOnce_negativeClassFollowsTheDataDistribution() throws {
        let labels = imbalancedLabels()
        let sizes = [40, 10, 12, 90, 35, 12, 60]
        let sampler = try QuadrupletSampler(labels: labels, classCount: 7, rule: .everyImageOnce, seed: 2)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 7), count: 7)
        for epoch in 0..<40 {
            for q in sampler.plan(epoch: epoch) { counts[q.anchorClass][q.negativeClass] += 1 }
        }
        let anchorClass = 3  // the largest, so the most draws
        let total = Double(counts[anchorClass].reduce(0, +))
        for c in 0..<7 where c != anchorClass {
            let expected = Double(sizes[c]) / Double(labels.count - sizes[anchorClass])
            XCTAssertEqual(Double(counts[anchorClass][c]) / total, expected, accuracy: 0.02, "negative class \(c)")
        }
    }

    func testEveryImageOnce_positiveIsUniformOverTheOtherImagesOfTheClass() throws {
        let labels = [0, 1, 0, 1, 0, 1, 0]  // class 0: images 0, 2, 4, 6
        let sampler = try QuadrupletSampler(labels: labels, classCount: 2, rule: .everyImageOnce, seed: 3)
        var positivesOfImage2 = [Int: Int]()
        for epoch in 0..<3000 {
            for q in sampler.plan(epoch: epoch) where q.anchor == 2 { positivesOfImage2[q.positive, default: 0] += 1 }
        }
        XCTAssertEqual(Set(positivesOfImage2.keys), [0, 4, 6])
        for (_, n) in positivesOfImage2 { XCTAssertEqual(Double(n) / 3000, 1.0 / 3, accuracy: 0.04) }
    }

    // MARK: - Rule (b): class-balanced

    func testClassBalanced_lenOver12AnchorsWithUniformClasses() throws {
        let labels = Array(imbalancedLabels().prefix(240))
        let sampler = try QuadrupletSampler(labels: labels, classCount: 7, rule: .classBalanced, seed: 4)
        XCTAssertEqual(sampler.quadrupletsPerEpoch, 20)
        var anchorClasses = [Int](repeating: 0, count: 7)
        var negativeGivenAnchor3 = [Int](repeating: 0, count: 7)
        var draws = 0
        for epoch in 0..<700 {
            let plan = sampler.plan(epoch: epoch)
            XCTAssertEqual(plan.count, 20)
            for q in plan {
                assertValid(q, labels)
                anchorClasses[q.anchorClass] += 1
                if q.anchorClass == 3 { negativeGivenAnchor3[q.negativeClass] += 1 }
                draws += 1
            }
        }
        for c in 0..<7 { XCTAssertEqual(Double(anchorClasses[c]) / Double(draws), 1.0 / 7, accuracy: 0.015, "anchor class \(c)") }
        let n3 = Double(negativeGivenAnchor3.reduce(0, +))
        XCTAssertEqual(negativeGivenAnchor3[3], 0)
        for c in 0..<7 where c != 3 {
            XCTAssertEqual(Double(negativeGivenAnchor3[c]) / n3, 1.0 / 6, accuracy: 0.03, "negative class \(c)")
        }
    }

    func testClassBalanced_emptyClassIsNeverDrawnAndIsReported() throws {
        let labels = [0, 0, 0, 2, 2, 2, 3, 3] + [Int](repeating: 0, count: 16)
        let sampler = try QuadrupletSampler(labels: labels, classCount: 5, rule: .classBalanced, seed: 5)
        for epoch in 0..<300 {
            for q in sampler.plan(epoch: epoch) {
                XCTAssertFalse([1, 4].contains(q.anchorClass))
                XCTAssertFalse([1, 4].contains(q.negativeClass))
            }
        }
        XCTAssertTrue(sampler.warnings.contains { $0.contains("[1, 4]") }, "\(sampler.warnings)")
    }

    // MARK: - Errors and the singleton fallback

    func testInit_singletonClassIsAnErrorNamingIt() {
        XCTAssertThrowsError(try QuadrupletSampler(labels: [0, 0, 1, 2, 2], classCount: 3, rule: .everyImageOnce, seed: 0)) { e in
            XCTAssertEqual(e as? SamplingError, .singletonClasses([1]))
            XCTAssertTrue("\(e)".contains("allow singleton"), "\(e)")
        }
    }

    func testInit_allowSingletonClasses_pairsTheImageWithItself() throws {
        let labels = [0, 0, 1, 2, 2]
        for rule in SamplingRule.allCases {
            let sampler = try QuadrupletSampler(labels: labels, classCount: 3, rule: rule, seed: 0, allowSingletonClasses: true)
            XCTAssertEqual(sampler.singletonClasses, [1])
            XCTAssertFalse(sampler.warnings.isEmpty)
            for epoch in 0..<50 {
                for q in sampler.plan(epoch: epoch) {
                    assertValid(q, labels, allowSelfPairs: true)
                    if q.anchorClass != 1 { XCTAssertNotEqual(q.anchor, q.positive) }
                    if q.negativeClass != 1 { XCTAssertNotEqual(q.negative, q.negative2) }
                }
            }
        }
    }

    func testInit_rejectsEmptyOutOfRangeAndSingleClassLists() {
        XCTAssertThrowsError(try QuadrupletSampler(labels: [], classCount: 7, rule: .everyImageOnce, seed: 0)) {
            XCTAssertEqual($0 as? SamplingError, .emptyDataset)
        }
        XCTAssertThrowsError(try QuadrupletSampler(labels: [0, 1, 7], classCount: 7, rule: .everyImageOnce, seed: 0)) {
            XCTAssertEqual($0 as? SamplingError, .labelOutOfRange(index: 2, label: 7, classCount: 7))
        }
        XCTAssertThrowsError(try QuadrupletSampler(labels: [-1, 1], classCount: 7, rule: .everyImageOnce, seed: 0)) {
            XCTAssertEqual($0 as? SamplingError, .labelOutOfRange(index: 0, label: -1, classCount: 7))
        }
        XCTAssertThrowsError(try QuadrupletSampler(labels: [4, 4, 4], classCount: 7, rule: .classBalanced, seed: 0)) {
            XCTAssertEqual($0 as? SamplingError, .fewerThanTwoClasses(nonEmpty: [4]))
        }
    }

    // MARK: - Determinism and world-size independence

    func testPlan_dependsOnlyOnSeedAndEpoch() throws {
        let labels = imbalancedLabels()
        for rule in SamplingRule.allCases {
            let a = try QuadrupletSampler(labels: labels, classCount: 7, rule: rule, seed: 11)
            let b = try QuadrupletSampler(labels: labels, classCount: 7, rule: rule, seed: 11)
            XCTAssertEqual(a.plan(epoch: 3), b.plan(epoch: 3))
            XCTAssertEqual(a.plan(epoch: 3), a.plan(epoch: 3))
            XCTAssertNotEqual(a.plan(epoch: 3), a.plan(epoch: 4))
            let c = try QuadrupletSampler(labels: labels, classCount: 7, rule: rule, seed: 12)
            XCTAssertNotEqual(a.plan(epoch: 3), c.plan(epoch: 3))
        }
    }

    func testSlices_concatenateToTheGlobalBatchAtEveryWorldSize() throws {
        let sampler = try QuadrupletSampler(labels: imbalancedLabels(), classCount: 7, rule: .everyImageOnce, seed: 6)
        let plan = sampler.plan(epoch: 1)
        let batches = try plan.batches(batchSize: 24)
        XCTAssertEqual(batches.count, (plan.count + 23) / 24)
        XCTAssertEqual(batches.flatMap { Array($0.quadruplets) }, plan, "batches tile the plan in order")
        XCTAssertEqual(batches.last?.count, plan.count % 24 == 0 ? 24 : plan.count % 24)
        for worldSize in 1...7 {
            for batch in batches {
                let slices = (0..<worldSize).map { batch.slice(rank: $0, worldSize: worldSize) }
                XCTAssertEqual(slices.flatMap { Array($0) }, Array(batch.quadruplets), "world size \(worldSize)")
                // Global positions survive slicing: they key the augmentation.
                XCTAssertEqual(slices.flatMap { Array($0.indices) }, Array(batch.positions))
                let sizes = slices.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
                XCTAssertEqual(sizes, sizes.sorted(by: >), "larger slices go to lower ranks")
            }
        }
    }

    func testRankRange_unevenAndTinyBatches() {
        XCTAssertEqual((0..<4).map { GlobalBatch.rankRange(count: 10, rank: $0, worldSize: 4) }, [0..<3, 3..<6, 6..<8, 8..<10])
        XCTAssertEqual((0..<5).map { GlobalBatch.rankRange(count: 2, rank: $0, worldSize: 5).count }, [1, 1, 0, 0, 0])
    }

    func testRankRange_weighted_sharesFollowTheWeightsAndTileTheBatch() {
        func shares(_ count: Int, _ w: [Double]) -> [Range<Int>] {
            w.indices.map { GlobalBatch.rankRange(count: count, rank: $0, weights: w) }
        }
        XCTAssertEqual(shares(24, [3, 1]), [0..<18, 18..<24])
        XCTAssertEqual(shares(7, [1, 1, 1]), [0..<3, 3..<5, 5..<7], "equal weights give the even split")
        XCTAssertEqual(shares(10, [2, 1, 1]).map(\.count), [5, 3, 2], "remainder to the largest fraction, then the lower rank")
        for (count, w) in [(1, [1.0, 5]), (13, [0.3, 0.7, 2.5]), (0, [1.0, 1])] {
            let r = shares(count, w)
            XCTAssertEqual(r.first?.lowerBound, 0)
            XCTAssertEqual(r.last?.upperBound, count)
            for (a, b) in zip(r, r.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
        }
    }

    func testBatches_dropLastAndInvalidSize() throws {
        let plan = try QuadrupletSampler(labels: imbalancedLabels(), classCount: 7, rule: .everyImageOnce, seed: 6).plan(epoch: 0)
        let kept = try plan.batches(batchSize: 50)
        let dropped = try plan.batches(batchSize: 50, dropLast: true)
        XCTAssertEqual(kept.count, (plan.count + 49) / 50)
        XCTAssertEqual(dropped.count, plan.count / 50)
        XCTAssertTrue(dropped.allSatisfy { $0.count == 50 })
        XCTAssertThrowsError(try plan.batches(batchSize: 0)) { XCTAssertEqual($0 as? SamplingError, .invalidBatchSize(0)) }
    }
}

final class DerivedRNGTests: XCTestCase {
    func testIndexBelow_uniformAndInRange() {
        var rng = SeededRNG(seed: 42, purpose: .epochPlan, keys: [1])
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[rng.index(below: 6)] += 1 }
        for c in counts { XCTAssertEqual(Double(c) / 60_000, 1.0 / 6, accuracy: 0.01) }
        XCTAssertEqual(rng.index(below: 1), 0)
    }

    func testStreams_differByPurposeAndKey() {
        var a = SeededRNG(seed: 1, purpose: .epochPlan, keys: [3])
        var b = SeededRNG(seed: 1, purpose: .augmentation, keys: [3])
        var c = SeededRNG(seed: 1, purpose: .epochPlan, keys: [4])
        var a2 = SeededRNG(seed: 1, purpose: .epochPlan, keys: [3])
        let x = a.next()
        XCTAssertNotEqual(x, b.next())
        XCTAssertNotEqual(x, c.next())
        XCTAssertEqual(x, a2.next())
    }
}
