import XCTest
@testable import Autograd
@testable import Distributed

/// The block codecs and the two-phase error-feedback sum (int8, onebit) on in-process ranks.
final class ErrorFeedbackSumTests: XCTestCase {
    static func values(seed: UInt64, count: Int) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in rng.uniform(-1, 1) * Float(pow(10, Double(rng.uniform(-3, 1)))) }
    }

    /// Encodes `x`, decodes it, and returns (decoded, residual left in place of x).
    func roundTrip(_ codec: BlockCodec, _ x: [Float]) -> (decoded: [Float], residual: [Float]) {
        var residual = x
        var bytes = [UInt8](repeating: 0, count: codec.chunkBytes(x.count))
        var decoded = [Float](repeating: 0, count: x.count)
        residual.withUnsafeMutableBufferPointer { r in
            bytes.withUnsafeMutableBytes { codec.encodeChunk(r, into: $0.baseAddress!) }
        }
        bytes.withUnsafeBytes { b in
            decoded.withUnsafeMutableBufferPointer { codec.addDecodedChunk(b.baseAddress!, count: x.count, into: $0.baseAddress!) }
        }
        return (decoded, residual)
    }

    func testInt8_roundTripIsWithinHalfAStepOfEachBlocksScale() {
        let codec = Int8BlockCodec(blockSize: 64)
        let x = Self.values(seed: 1, count: 1000)  // 15 full blocks and a short one
        let (decoded, residual) = roundTrip(codec, x)
        XCTAssertEqual(codec.chunkBytes(1000), 15 * 68 + 4 + 40)
        for start in stride(from: 0, to: x.count, by: 64) {
            let block = start..<min(start + 64, x.count)
            let largest = block.map { abs(x[$0]) }.max()!
            for i in block {
                XCTAssertLessThanOrEqual(abs(decoded[i] - x[i]), largest / 254 * 1.0001, "element \(i)")
                XCTAssertEqual(residual[i], x[i] - decoded[i], accuracy: largest * 1e-6, "element \(i)")
            }
            // The largest value is a level exactly: ±127 steps.
            let top = block.max { abs(x[$0]) < abs(x[$1]) }!
            XCTAssertEqual(decoded[top], x[top], accuracy: largest * 1e-6)
        }
    }

    func testSign_decodesToTheBlocksMeanMagnitudeWithEachSign() {
        let codec = SignBlockCodec(blockSize: 32)
        var x = Self.values(seed: 2, count: 100)
        x[5] = 0
        let (decoded, residual) = roundTrip(codec, x)
        XCTAssertEqual(codec.chunkBytes(100), 3 * (1 + 4) + 1 + 1)
        for start in stride(from: 0, to: x.count, by: 32) {
            let block = start..<min(start + 32, x.count)
            let mean = block.reduce(Float(0)) { $0 + abs(x[$1]) } / Float(block.count)
            for i in block {
                // The scale travels as a byte on a grid of quarter powers of two: within 9 %.
                XCTAssertEqual(abs(decoded[i]), mean, accuracy: mean * 0.091, "element \(i)")
                XCTAssertEqual(abs(decoded[i]), LogScale.decode(LogScale.encode(mean)), "element \(i): one scale per block")
                XCTAssertEqual(decoded[i] < 0, x[i] < 0, "element \(i): sign")
                XCTAssertEqual(residual[i], x[i] - decoded[i], accuracy: mean * 1e-5, "element \(i)")
            }
        }
    }

    func testLogScale_roundsToWithinNinePercentAndKeepsZeroAndNaN() {
        for x in stride(from: -39.0, through: 23.0, by: 0.37) {
            let scale = Float(pow(2, x)), back = LogScale.decode(LogScale.encode(scale))
            XCTAssertLessThanOrEqual(abs(back - scale) / scale, 0.091, "2^\(x)")
        }
        XCTAssertEqual(LogScale.decode(LogScale.encode(0)), 0)
        XCTAssertEqual(LogScale.decode(LogScale.encode(1e-20)), 0, "below the grid: zero (the residual keeps it)")
        XCTAssertEqual(LogScale.decode(LogScale.encode(1e12)), Float(pow(2, 23.25)), "above the grid: the top")
        XCTAssertTrue(LogScale.decode(LogScale.encode(.nan)).isNaN)
        XCTAssertTrue(LogScale.decode(LogScale.encode(.infinity)).isNaN)
    }

    func testCodecs_sendANaNBlockAsNaNAndZeroItsResidual() {
        for codec in [Int8BlockCodec(blockSize: 8) as BlockCodec, SignBlockCodec(blockSize: 8)] {
            for bad in [Float.nan, .infinity] {
                var x = Self.values(seed: 3, count: 16)
                x[3] = bad
                let (decoded, residual) = roundTrip(codec, x)
                XCTAssertTrue(decoded[0..<8].allSatisfy(\.isNaN), "\(codec) \(bad): \(decoded)")
                XCTAssertTrue(residual[0..<8].allSatisfy { $0 == 0 }, "\(codec) \(bad): \(residual)")
                XCTAssertTrue(decoded[8...].allSatisfy(\.isFinite), "\(codec) \(bad): the other block")
            }
        }
    }

    /// Runs `steps` sums of fresh gradients on `size` ranks; returns per rank (Σ results,
    /// Σ own gradients, the sum's residuals spread over the bucket, bytes per step).
    func run(_ make: @escaping () -> ErrorFeedbackSum, size: Int, count: Int, steps: Int)
        throws -> [(applied: [Float], results: [[Float]], gradients: [Float], residual: [Float], bytes: Int)] {
        try InProcessWorld.run(size: size) { comm in
            let sum = make()
            sum.prepare(buckets: [BucketContents(range: 0..<count)], rank: comm.rank, ranks: comm.size, streams: 1)
            var applied = [Double](repeating: 0, count: count), own = [Double](repeating: 0, count: count)
            var results: [[Float]] = [], bytes = 0
            for t in 0..<steps {
                var g = Self.values(seed: 100 * UInt64(t) + UInt64(comm.rank), count: count)
                for i in 0..<count { own[i] += Double(g[i]) }
                bytes = try g.withUnsafeMutableBufferPointer { try sum.sum($0, at: BucketPlace(bucket: 0, step: t), over: comm) }
                for i in 0..<count { applied[i] += Double(g[i]) }
                results.append(g)
            }
            var residual = Array(sum.workerResidual(bucket: 0, stream: 0))
            let owned = sum.ownerResidual(bucket: 0, stream: 0)
            for (k, i) in sum.chunk(count: count, part: comm.rank, parts: comm.size).enumerated() { residual[i] += owned[k] }
            return (applied.map(Float.init), results, own.map(Float.init), residual, bytes)
        }
    }

    func testErrorFeedback_appliedPlusResidualsEqualsTheSumOfTrueGradients() throws {
        for (name, codec) in [("int8", Int8BlockCodec(blockSize: 64) as BlockCodec), ("onebit", SignBlockCodec(blockSize: 64))] {
            for size in [2, 3] {
                let count = 1000, steps = 20
                let ranks = try run({ ErrorFeedbackSum(name: name, codec: codec) }, size: size, count: count, steps: steps)
                for r in ranks { XCTAssertTrue(r.results == ranks[0].results, "\(name) \(size) ranks: replicas differ") }
                for i in 0..<count {
                    let truth = ranks.reduce(Float(0)) { $0 + $1.gradients[i] }
                    let kept = ranks.reduce(Float(0)) { $0 + $1.residual[i] }
                    let magnitude = ranks.reduce(Float(0)) { $0 + abs($1.gradients[i]) } + 1e-3
                    let error = abs(ranks[0].applied[i] + kept - truth)
                    XCTAssertLessThanOrEqual(error, 1e-4 * Float(steps) * magnitude, "\(name) \(size) ranks, element \(i)")
                }
                // And the residuals are really in use: compression lost something each step.
                XCTAssertGreaterThan(ranks.reduce(Float(0)) { $0 + $1.residual.map(abs).reduce(0, +) }, 0, name)
            }
        }
    }

    func testErrorFeedback_tracksTheTrueSumBetterThanWithout() throws {
        // One-bit signs are coarse each step, but with error feedback the running sum stays close.
        let count = 512, steps = 30
        let ranks = try run({ ErrorFeedbackSum(name: "onebit", codec: SignBlockCodec(blockSize: 64)) }, size: 2, count: count,
                            steps: steps)
        var drift: Float = 0, truthSize: Float = 0, singleStepError: Float = 0
        for i in 0..<count {
            let truth = ranks.reduce(Float(0)) { $0 + $1.gradients[i] }
            drift += (ranks[0].applied[i] - truth) * (ranks[0].applied[i] - truth)
            truthSize += truth * truth
        }
        // The first step alone, before any residual exists, loses much more relative to its own size.
        var firstSize: Float = 0
        for i in 0..<count {
            let first = (0..<2).reduce(Float(0)) { $0 + Self.values(seed: UInt64($1), count: count)[i] }
            singleStepError += (ranks[0].results[0][i] - first) * (ranks[0].results[0][i] - first)
            firstSize += first * first
        }
        XCTAssertLessThan((drift / truthSize).squareRoot(), 0.5 * (singleStepError / firstSize).squareRoot(),
                          "relative error of the running sum vs of one step")
    }

    func testWireBytes_meetTheirRatiosToFloat32() throws {
        let count = 100_000
        for (codec, least) in [(Int8BlockCodec(blockSize: 256) as BlockCodec, 3.9), (SignBlockCodec(blockSize: 32), 25)] {
            for size in [2, 3] {
                let ranks = try run({ ErrorFeedbackSum(name: "x", codec: codec) }, size: size, count: count, steps: 1)
                let full = FullPrecisionSum.bytes(count: count, ranks: size)
                let ratio = Double(full) / Double(ranks[0].bytes)
                XCTAssertGreaterThanOrEqual(ratio, least, "\(codec) \(size) ranks: \(ranks[0].bytes) vs \(full) bytes")
                XCTAssertLessThan(ratio, least * 1.2, "\(codec) \(size) ranks: a ratio too good to be true")
            }
        }
    }

    func testWarmUpSteps_areFloat32Sums() throws {
        let count = 300
        let ranks = try run({ ErrorFeedbackSum(name: "onebit", codec: SignBlockCodec(blockSize: 64), startStep: 2) },
                            size: 2, count: count, steps: 3)
        for t in 0..<2 {
            let exact = (0..<count).map { i in (0..<2).reduce(Float(0)) { $0 + Self.values(seed: 100 * UInt64(t) + UInt64($1), count: count)[i] } }
            XCTAssertEqual(ranks[0].results[t], exact, "step \(t) is in the warm-up")
        }
        // Step 2 is compressed: one magnitude per block of 64, five blocks.
        XCTAssertLessThanOrEqual(Set(ranks[0].results[2].map(abs)).count, 5, "step 2 is compressed")
    }

    func testStreamsKeepSeparateResiduals_andResetZeroesThem() throws {
        let results = try InProcessWorld.run(size: 2) { comm -> [Float] in
            let sum = ErrorFeedbackSum(name: "int8", codec: Int8BlockCodec(blockSize: 16))
            sum.prepare(buckets: [BucketContents(range: 0..<40), BucketContents(range: 40..<100)], rank: comm.rank, ranks: comm.size, streams: 2)
            var g = Self.values(seed: UInt64(comm.rank), count: 60)
            _ = try g.withUnsafeMutableBufferPointer { try sum.sum($0, at: BucketPlace(bucket: 1, stream: 1), over: comm) }
            let magnitude = { (b: UnsafeMutableBufferPointer<Float>) in b.reduce(Float(0)) { $0 + abs($1) } }
            let touched = [magnitude(sum.workerResidual(bucket: 0, stream: 0)), magnitude(sum.workerResidual(bucket: 1, stream: 0)),
                           magnitude(sum.workerResidual(bucket: 0, stream: 1)), magnitude(sum.workerResidual(bucket: 1, stream: 1)),
                           magnitude(sum.ownerResidual(bucket: 1, stream: 1))]
            sum.resetState()
            return touched + [sum.state.reduce(Float(0)) { acc, s in acc + (0..<s.tensor.count).reduce(Float(0)) { $0 + abs(s.tensor.data[$1]) } }]
        }
        for r in results {
            XCTAssertEqual(Array(r[0..<3]), [0, 0, 0], "only bucket 1 of stream 1 was summed: \(r)")
            XCTAssertGreaterThan(r[3], 0)
            XCTAssertGreaterThan(r[4], 0)
            XCTAssertEqual(r[5], 0, "reset leaves residuals")
        }
    }

    func testWireZstd_changesNoValueAndSendsFewerBytesWhenPayloadsCompress() throws {
        // Gradients that are mostly zero: int8 blocks of zeros, fp16 runs of zeros; zstd shrinks them.
        let sparse: @Sendable (Int, Int) -> [Float] = { rank, step in
            var g = Self.values(seed: UInt64(rank * 10 + step), count: 4000)
            for i in g.indices where i % 7 != 0 { g[i] = 0 }
            return g
        }
        for make in [{ (z: Bool) -> BucketSum in ErrorFeedbackSum(name: "int8", codec: Int8BlockCodec(blockSize: 256), zstd: z) },
                     { (z: Bool) -> BucketSum in HalfPrecisionSum(format: .fp16, zstd: z) }] {
            for size in [2, 3] {
                let runs = try [false, true].map { zstd in
                    try InProcessWorld.run(size: size) { comm -> (values: [[Float]], bytes: Int, raw: Int) in
                        let sum = make(zstd)
                        sum.prepare(buckets: [BucketContents(range: 0..<4000)], rank: comm.rank, ranks: comm.size, streams: 1)
                        var out: [[Float]] = [], bytes = 0
                        for t in 0..<3 {
                            var g = sparse(comm.rank, t)
                            bytes += try g.withUnsafeMutableBufferPointer { try sum.sum($0, at: BucketPlace(bucket: 0, step: t), over: comm) }
                            out.append(g)
                        }
                        return (out, bytes, sum.payloadBytes.raw)
                    }
                }
                let (plain, packed) = (runs[0][0], runs[1][0])
                XCTAssertTrue(plain.values == packed.values, "\(size) ranks: zstd changed a value")
                XCTAssertEqual(plain.raw, packed.raw, "the same payloads before zstd")
                XCTAssertEqual(plain.bytes, plain.raw, "without zstd the payloads go as they are")
                XCTAssertLessThan(Double(packed.bytes), 0.8 * Double(plain.bytes), "\(size) ranks: \(packed.bytes) vs \(plain.bytes) bytes")
            }
        }
    }
}
