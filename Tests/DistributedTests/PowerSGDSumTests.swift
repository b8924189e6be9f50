import XCTest
@testable import Autograd
@testable import Distributed

/// PowerSGD's low-rank sum on in-process ranks: exact for a low-rank sum, error feedback that
/// loses nothing, vectors and small matrices summed exactly, replicas identical.
final class PowerSGDSumTests: XCTestCase {
    /// One bucket: a 40 × 30 matrix (compressed at rank 2: (40 + 30)·2·2 ≤ 1200), a bias of 40
    /// (uncompressed) and a 3 × 5 matrix (too small to shrink: uncompressed).
    static let shapes = [[40, 30], [40], [3, 5]]
    static var bucket: BucketContents {
        var offset = 0
        var spans: [BucketContents.TensorSpan] = []
        for s in shapes {
            spans.append(.init(offset: offset, shape: s))
            offset += s.reduce(1, *)
        }
        return BucketContents(range: 0..<offset, tensors: spans)
    }

    static func gradient(rank: Int, step: Int) -> [Float] {
        var rng = SeededRNG(seed: 77, stream: UInt64(rank * 1000 + step))
        return (0..<bucket.range.count).map { _ in rng.uniform(-1, 1) }
    }

    /// Runs `steps` sums on `size` ranks; per rank: each step's result, Σ own gradients, residual.
    func run(size: Int, steps: Int, rank r: Int = 2, startStep: Int = 0,
             gradient: @escaping @Sendable (Int, Int) -> [Float] = { gradient(rank: $0, step: $1) })
        throws -> [(results: [[Float]], own: [Float], residual: [Float], bytes: Int)] {
        try InProcessWorld.run(size: size) { comm in
            let sum = PowerSGDSum(matrixRank: r, startStep: startStep, compute: ComputePool(threads: 1))
            sum.prepare(buckets: [Self.bucket], rank: comm.rank, ranks: comm.size, streams: 1)
            let count = Self.bucket.range.count
            var own = [Float](repeating: 0, count: count), results: [[Float]] = [], bytes = 0
            for t in 0..<steps {
                var g = gradient(comm.rank, t)
                for i in 0..<count { own[i] += g[i] }
                bytes = try g.withUnsafeMutableBufferPointer { try sum.sum($0, at: BucketPlace(bucket: 0, step: t), over: comm) }
                results.append(g)
            }
            return (results, own, Array(sum.error(0..<count, stream: 0)), bytes)
        }
    }

    func testMatrixSides_compressOnlyWhatRankRFactorsShrinkTwice() {
        XCTAssertEqual(PowerSGDSum.matrixSides([40, 30], rank: 2)?.rows, 40)
        XCTAssertEqual(PowerSGDSum.matrixSides([64, 32, 3, 3], rank: 4)?.columns, 288)
        XCTAssertNil(PowerSGDSum.matrixSides([40], rank: 2), "a vector")
        XCTAssertNil(PowerSGDSum.matrixSides([3, 5], rank: 2), "(3 + 5)·2·2 > 15")
        XCTAssertNil(PowerSGDSum.matrixSides([4, 1000], rank: 4), "a side no larger than the rank")
    }

    func testALowRankSum_isExactAndTheOtherTensorsAreSummedExactly() throws {
        // Every rank's matrix is U·V_rᵀ with the same U (40 × 2): the sum has rank 2.
        let gradient: @Sendable (Int, Int) -> [Float] = { rank, step in
            var g = Self.gradient(rank: rank, step: step)
            var rng = SeededRNG(seed: 5)
            let u = (0..<80).map { _ in rng.uniform(-1, 1) }
            var own = SeededRNG(seed: 6, stream: UInt64(rank))
            let v = (0..<60).map { _ in own.uniform(-1, 1) }
            for i in 0..<40 { for j in 0..<30 { g[i * 30 + j] = u[i * 2] * v[j * 2] + u[i * 2 + 1] * v[j * 2 + 1] } }
            return g
        }
        for size in [2, 3] {
            let ranks = try run(size: size, steps: 1, gradient: gradient)
            let exact = (0..<Self.bucket.range.count).map { i in (0..<size).reduce(Float(0)) { $0 + gradient($1, 0)[i] } }
            for r in ranks {
                XCTAssertTrue(r.results[0] == ranks[0].results[0], "\(size) ranks: replicas differ")
                for i in 0..<exact.count {
                    XCTAssertEqual(r.results[0][i], exact[i], accuracy: 2e-4 * max(1, abs(exact[i])), "\(size) ranks, element \(i)")
                }
            }
        }
    }

    func testErrorFeedback_appliedPlusResidualsEqualsTheSumOfTrueGradients() throws {
        for size in [2, 3] {
            let steps = 15
            let ranks = try run(size: size, steps: steps)
            let count = Self.bucket.range.count
            var residualInUse: Float = 0
            for i in 0..<count {
                let truth = ranks.reduce(Float(0)) { $0 + $1.own[i] }
                let applied = ranks[0].results.reduce(Float(0)) { $0 + $1[i] }
                let kept = ranks.reduce(Float(0)) { $0 + $1.residual[i] }
                residualInUse += abs(kept)
                XCTAssertEqual(applied + kept, truth, accuracy: 1e-3 * Float(steps), "\(size) ranks, element \(i)")
                if i >= 1200 { XCTAssertEqual(kept, 0, "element \(i) is not compressed: no residual") }
            }
            XCTAssertGreaterThan(residualInUse, 1, "random matrices are not rank 2: something must be kept back")
        }
    }

    func testWarmUpSteps_areFloat32Sums_andBytesAreFarFewerAfter() throws {
        let ranks = try run(size: 2, steps: 3, startStep: 2)
        let count = Self.bucket.range.count
        for t in 0..<2 {
            let exact = (0..<count).map { i in Self.gradient(rank: 0, step: t)[i] + Self.gradient(rank: 1, step: t)[i] }
            XCTAssertEqual(ranks[0].results[t], exact, "step \(t) is in the warm-up")
        }
        let full = FullPrecisionSum.bytes(count: count, ranks: 2)
        // Compressed: 40 + 15 values as they are, P 40×2 and Q 30×2.
        XCTAssertEqual(ranks[0].bytes, FullPrecisionSum.bytes(count: 55 + 80, ranks: 2) + FullPrecisionSum.bytes(count: 60, ranks: 2))
        XCTAssertLessThan(ranks[0].bytes * 5, full)
    }

    func testANaN_givesNaNAndLeavesNoPoisonedState() throws {
        let ranks = try run(size: 2, steps: 2, gradient: { rank, step in
            var g = Self.gradient(rank: rank, step: step)
            if step == 0 && rank == 1 { g[7] = .nan }
            return g
        })
        XCTAssertTrue(ranks[0].results[0][0..<1200].allSatisfy(\.isNaN), "step 0's matrix is NaN")
        XCTAssertTrue(ranks[0].results[1].allSatisfy(\.isFinite), "step 1 recovers")
        XCTAssertTrue(ranks[0].residual.allSatisfy(\.isFinite))
    }

    func testReset_bringsBackTheSeededQAndZeroResiduals() throws {
        let states = try InProcessWorld.run(size: 2) { comm -> [Float] in
            let sum = PowerSGDSum(matrixRank: 2, compute: ComputePool(threads: 1))
            sum.prepare(buckets: [Self.bucket], rank: comm.rank, ranks: 2, streams: 1)
            let start = sum.state[1].tensor.array
            var g = Self.gradient(rank: comm.rank, step: 0)
            _ = try g.withUnsafeMutableBufferPointer { try sum.sum($0, at: BucketPlace(bucket: 0), over: comm) }
            XCTAssertNotEqual(sum.state[1].tensor.array, start, "Q moved")
            sum.resetState()
            XCTAssertEqual(sum.state[1].tensor.array, start)
            XCTAssertTrue(sum.state[0].tensor.array.allSatisfy { $0 == 0 })
            return start
        }
        XCTAssertEqual(states[0], states[1], "every rank starts from the same Q")
    }
}
