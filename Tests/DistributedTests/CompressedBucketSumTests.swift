import XCTest
@testable import Autograd
@testable import Distributed

/// The bucket sums with compressed wire formats, against the float32 sum, on in-process ranks.
final class CompressedBucketSumTests: XCTestCase {
    /// Rank r's bucket: `count` values spread over five orders of magnitude, different per rank.
    static func bucket(rank: Int, count: Int) -> [Float] {
        var rng = SeededRNG(seed: 10 + UInt64(rank))
        return (0..<count).map { _ in rng.uniform(-1, 1) * Float(pow(10, Double(rng.uniform(-3, 2)))) }
    }

    /// (each rank's result, bytes each rank sent) of a summer from `make` (one per rank: they
    /// keep scratch buffers) over `size` ranks.
    func run(_ make: @escaping @Sendable () -> BucketSum, size: Int, count: Int) throws -> [(values: [Float], bytes: Int)] {
        try InProcessWorld.run(size: size) { comm in
            let sum = make()
            var values = Self.bucket(rank: comm.rank, count: count)
            let bytes = try values.withUnsafeMutableBufferPointer { try sum.sum($0, at: BucketPlace(bucket: 0), over: comm) }
            return (values, bytes)
        }
    }

    func testHalfPrecisionSums_matchTheFloatSumToTheirPrecisionOnEveryRank() throws {
        for (format, tolerance) in [(HalfPrecisionSum.Format.fp16, Float(2e-3)), (.bf16, Float(1.6e-2))] {
            for size in [2, 3] {
                let count = 1001  // not a multiple of the ranks: chunks of unequal length
                let exact = (0..<count).map { i in (0..<size).reduce(Float(0)) { $0 + Self.bucket(rank: $1, count: count)[i] } }
                let bound = (0..<count).map { i in (0..<size).reduce(Float(0)) { $0 + abs(Self.bucket(rank: $1, count: count)[i]) } }
                let results = try run({ HalfPrecisionSum(format: format) }, size: size, count: count)
                for r in results {
                    XCTAssertTrue(r.values == results[0].values, "\(format) \(size) ranks: ranks differ")
                    for i in 0..<count {
                        // Relative to the sum of magnitudes: one rounding of each addend and one of the sum.
                        XCTAssertLessThanOrEqual(abs(r.values[i] - exact[i]), tolerance * bound[i] + 1e-7,
                                                 "\(format) \(size) ranks, element \(i)")
                    }
                }
                let full = try run({ FullPrecisionSum() }, size: size, count: count)
                let ratio = Double(full[0].bytes) / Double(results[0].bytes)
                XCTAssertEqual(ratio, 2, accuracy: 0.01, "\(format) \(size) ranks: \(results[0].bytes) vs \(full[0].bytes) bytes")
            }
        }
    }

    func testHalfPrecisionSum_keepsANaNNaN() throws {
        let results = try InProcessWorld.run(size: 2) { comm -> [Float] in
            var values: [Float] = [1, 2, 3, 4]
            if comm.rank == 1 { values[2] = .nan }
            _ = try values.withUnsafeMutableBufferPointer { try HalfPrecisionSum(format: .fp16).sum($0, at: BucketPlace(bucket: 0), over: comm) }
            return values
        }
        for r in results {
            XCTAssertTrue(r[2].isNaN, "\(r)")
            XCTAssertEqual(r[0], 2)
            XCTAssertEqual(r[3], 8)
        }
    }
}
