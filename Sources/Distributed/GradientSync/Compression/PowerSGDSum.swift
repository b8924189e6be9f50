import Autograd
import Foundation

/// A bucket summed as low-rank matrices: PowerSGD (Vogels, Karimireddy & Jaggi, NeurIPS 2019),
/// one power iteration per step from the previous step's Q (warm start), with error feedback.
/// For each matrix-shaped gradient G (n × m; a convolution's [out, in, k, k] as out × in·k·k):
///   1. M = G + e (this rank's residual);
///   2. P = M·Q, summed over the ranks (one allreduce for the bucket's P's, with the
///      uncompressed tensors packed in front of them), then orthonormalised column by column;
///   3. Q = Mᵀ·P, summed over the ranks (one allreduce for the bucket's Q's);
///   4. the sum is taken as P·Qᵀ (= P·Pᵀ·ΣM: the sum projected on P's columns), and each rank
///      keeps e = M − P·Qᵀ/N. So Σ applied + Σ_ranks e = Σ true sums, step after step.
/// Vectors, and matrices that a rank-r factorisation would not shrink at least twice ((n + m)·r
/// > n·m/2, which includes any side ≤ r), travel uncompressed, summed exactly. Before `startStep`
/// whole buckets go as float32 allreduces. Q starts from the same seeded values on every rank,
/// and every rank computes the same P and Q from the same sums, so replicas stay identical.
///
/// State per stream (pass of the step): e over every compressed matrix (laid out like the
/// gradient buffer) and every matrix's Q. Touched only by the communication thread.
public final class PowerSGDSum: MeteredBucketSum, @unchecked Sendable {
    /// r, the rank of the factors (`distributed.powersgd_rank`).
    public let matrixRank: Int
    public let startStep: Int
    private var plans: [BucketPlan] = []
    private var rank = 0, ranks = 1, streams = 0, flatCount = 0, qCount = 0
    private var errors = Tensor(zeros: [0]), factors = Tensor(zeros: [0])
    private var packed: [Float] = [], qs: [Float] = []
    public let clock = ComputeClock()
    /// The threads its products run on (the rank's pool: the exchange overlaps the backward pass,
    /// and the products are small next to it).
    private let compute: ComputePool

    /// A compressed matrix: its place in the flat buffer, its sides, and its Q's place in a stream's Qs.
    struct Matrix: Equatable {
        var offset: Int, rows: Int, columns: Int, q: Int
    }

    /// How one bucket goes: the compressed matrices, and the flat ranges sent as they are.
    struct BucketPlan: Equatable {
        var range: Range<Int>
        var matrices: [Matrix]
        var uncompressed: [Range<Int>]
        var uncompressedCount: Int { uncompressed.reduce(0) { $0 + $1.count } }
        var pCount: Int { matrices.reduce(0) { $0 + $1.rows } }
    }

    public init(matrixRank: Int, startStep: Int = 0, compute: ComputePool) {
        precondition(matrixRank > 0, "PowerSGD rank must be positive")
        self.matrixRank = matrixRank
        self.startStep = startStep
        self.compute = compute
    }

    /// A tensor of `shape` as a matrix (rows, columns) when rank-r factors shrink it at least twice.
    public static func matrixSides(_ shape: [Int], rank r: Int) -> (rows: Int, columns: Int)? {
        guard shape.count >= 2 else { return nil }
        let rows = shape[0], columns = shape.dropFirst().reduce(1, *)
        guard min(rows, columns) > r, 2 * (rows + columns) * r <= rows * columns else { return nil }
        return (rows, columns)
    }

    public func prepare(buckets: [BucketContents], rank: Int, ranks: Int, streams: Int) {
        self.rank = rank
        self.ranks = ranks
        self.streams = streams
        qCount = 0
        plans = buckets.map { b in
            var plan = BucketPlan(range: b.range, matrices: [], uncompressed: [])
            for t in b.tensors {
                let count = t.shape.reduce(1, *)
                if let (rows, columns) = Self.matrixSides(t.shape, rank: matrixRank) {
                    plan.matrices.append(Matrix(offset: t.offset, rows: rows, columns: columns, q: qCount))
                    qCount += columns * matrixRank
                } else if let last = plan.uncompressed.last, last.upperBound == t.offset {
                    plan.uncompressed[plan.uncompressed.count - 1] = last.lowerBound..<(t.offset + count)
                } else {
                    plan.uncompressed.append(t.offset..<(t.offset + count))
                }
            }
            return plan
        }
        flatCount = buckets.map(\.range.upperBound).max() ?? 0
        errors = Tensor(zeros: [streams * flatCount])
        factors = Tensor(zeros: [streams * qCount])
        resetState()
    }

    public var state: [(name: String, tensor: Tensor)] {
        [("compression.powersgd.error", errors), ("compression.powersgd.q", factors)]
    }

    public var stateLayout: String {
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325
        for p in plans {
            for m in p.matrices { for v in [m.offset, m.rows, m.columns] { digest = (digest ^ UInt64(v)) &* 0x100_0000_01b3 } }
            for u in p.uncompressed { for v in [u.lowerBound, u.upperBound] { digest = (digest ^ UInt64(v)) &* 0x100_0000_01b3 } }
        }
        return "powersgd rank=\(matrixRank) ranks=\(ranks) streams=\(streams) buckets=\(plans.count)/" + String(digest, radix: 16)
    }

    /// Zero residuals, and every Q back to its seeded start (the same on every rank).
    public func resetState() {
        errors.data.update(repeating: 0, count: errors.count)
        for stream in 0..<streams {
            for p in plans {
                for m in p.matrices {
                    var rng = SeededRNG(seed: 0x9051_75d0 &+ UInt64(m.offset))
                    let q = factors.data + stream * qCount + m.q
                    for i in 0..<(m.columns * matrixRank) { q[i] = rng.nextNormal() }
                }
            }
        }
    }

    /// Values sent per step for a bucket, compressed: the uncompressed part, then each matrix's P and Q.
    func compressedCount(bucket: Int) -> Int {
        let p = plans[bucket]
        return p.uncompressedCount + p.matrices.reduce(0) { $0 + ($1.rows + $1.columns) * matrixRank }
    }

    /// This rank's residual of a matrix's elements (or any flat range), in a stream.
    func error(_ range: Range<Int>, stream: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: errors.data + stream * flatCount + range.lowerBound, count: range.count)
    }

    public func sum(_ bucket: UnsafeMutableBufferPointer<Float>, at place: BucketPlace, over comm: Communicator) throws -> Int {
        let n = comm.size
        guard n > 1 else { return 0 }
        guard place.step >= startStep else { return try FullPrecisionSum().sum(bucket, at: place, over: comm) }
        precondition(n == ranks && comm.rank == rank && place.bucket < plans.count && place.stream < streams
                     && plans[place.bucket].range.count == bucket.count, "PowerSGDSum: sum of \(place) not prepared for")
        let plan = plans[place.bucket], r = matrixRank, base = plan.range.lowerBound
        let g = bucket.baseAddress!
        let e = errors.data + place.stream * flatCount, qState = factors.data + place.stream * qCount

        // 1–2. M = G + e in place of e; the uncompressed values and every P = M·Q in one buffer.
        let unpacked = plan.uncompressedCount
        packed.removeAll(keepingCapacity: true)
        packed.reserveCapacity(unpacked + plan.pCount * r)
        for u in plan.uncompressed { packed.append(contentsOf: UnsafeBufferPointer(start: g + (u.lowerBound - base), count: u.count)) }
        packed.append(contentsOf: repeatElement(0, count: plan.pCount * r))
        var pAt = unpacked
        try packed.withUnsafeMutableBufferPointer { buffer in
            clock.time {
                for m in plan.matrices {
                    let mm = e + m.offset, count = m.rows * m.columns
                    let local = g + (m.offset - base)
                    for i in 0..<count { mm[i] += local[i] }
                    sgemm(m: m.rows, n: r, k: m.columns, a: mm, b: qState + m.q, c: buffer.baseAddress! + pAt, compute: compute)
                    pAt += m.rows * r
                }
            }
            try comm.allreduce(buffer, .sum)
        }
        var at = 0
        for u in plan.uncompressed {
            for i in u { g[i - base] = packed[at]; at += 1 }
        }

        // 3. Orthonormal P; Q = Mᵀ·P, summed.
        qs.removeAll(keepingCapacity: true)
        qs.append(contentsOf: repeatElement(0, count: plan.matrices.reduce(0) { $0 + $1.columns * r }))
        try packed.withUnsafeMutableBufferPointer { pBuffer in
            try qs.withUnsafeMutableBufferPointer { qBuffer in
                var p = unpacked, q = 0
                clock.time {
                    for m in plan.matrices {
                        Self.orthonormalizeColumns(pBuffer.baseAddress! + p, rows: m.rows, columns: r)
                        sgemm(transposeA: true, m: m.columns, n: r, k: m.rows, a: e + m.offset, b: pBuffer.baseAddress! + p,
                              c: qBuffer.baseAddress! + q, compute: compute)
                        p += m.rows * r
                        q += m.columns * r
                    }
                }
                try comm.allreduce(qBuffer, .sum)

                // 4. The sum ≈ P·Qᵀ; each rank keeps M − P·Qᵀ/N; Q is the next step's start.
                p = unpacked
                q = 0
                let share = 1 / Float(n)
                let start = DispatchTime.now().uptimeNanoseconds
                defer { clock.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
                for m in plan.matrices {
                    let out = g + (m.offset - base), mm = e + m.offset, count = m.rows * m.columns
                    let newQ = UnsafeMutableBufferPointer(rebasing: qBuffer[q..<(q + m.columns * r)])
                    sgemm(transposeB: true, m: m.rows, n: m.columns, k: r, a: pBuffer.baseAddress! + p, b: newQ.baseAddress!,
                          c: out, compute: compute)
                    if newQ.allSatisfy(\.isFinite) {
                        for i in 0..<count { mm[i] -= out[i] * share }
                        (qState + m.q).update(from: newQ.baseAddress!, count: newQ.count)
                    } else {
                        // A NaN or infinity: the step is refused as non-finite; the residual is
                        // zeroed and Q kept, so it cannot poison later steps.
                        for i in 0..<count { mm[i] = 0; out[i] = .nan }
                    }
                    p += m.rows * r
                    q += m.columns * r
                }
            }
        }
        return FullPrecisionSum.bytes(count: packed.count, ranks: n) + FullPrecisionSum.bytes(count: qs.count, ranks: n)
    }

    /// Modified Gram–Schmidt on the columns of a row-major rows × columns matrix, in place; a
    /// column with nothing left of its own (norm below 1e-30) becomes zero.
    static func orthonormalizeColumns(_ a: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for j in 0..<columns {
            for k in 0..<j {
                var dot: Float = 0
                for i in 0..<rows { dot += a[i * columns + k] * a[i * columns + j] }
                for i in 0..<rows { a[i * columns + j] -= dot * a[i * columns + k] }
            }
            var norm: Float = 0
            for i in 0..<rows { norm += a[i * columns + j] * a[i * columns + j] }
            norm = norm.squareRoot()
            let scale: Float = norm > 1e-30 ? 1 / norm : 0
            for i in 0..<rows { a[i * columns + j] *= scale }
        }
    }
}
