import Autograd

/// A bucket summed with 16-bit values on the wire (fp16 or bf16), in two phases: every rank
/// sends chunk r of its (pre-scaled, rounded) bucket to rank r; rank r widens what it received
/// to float32, sums it there, rounds the sum once and sends it to every rank (allgather). Wire
/// bytes are half of a float32 ring allreduce's, and the sum itself is taken in float32, so the
/// only error is one rounding of each rank's values and one of the sum.
///
/// Each rank multiplies by 1/N before rounding and the result by N after, so an fp16 sum of N
/// values stays in range whenever the values do (a gradient above 65504 overflows either way).
public struct HalfPrecisionSum: BucketSum {
    public enum Format: String, Sendable { case fp16, bf16 }
    public let format: Format

    public init(format: Format) { self.format = format }

    private func encode(_ x: Float) -> UInt16 {
        format == .fp16 ? HalfPrecision.half(from: x) : HalfPrecision.bfloat16(from: x)
    }

    private func decode(_ h: UInt16) -> Float {
        format == .fp16 ? HalfPrecision.float(fromHalf: h) : HalfPrecision.float(fromBFloat16: h)
    }

    public func sum(_ bucket: UnsafeMutableBufferPointer<Float>, at place: BucketPlace, over comm: Communicator) throws -> Int {
        let n = comm.size, count = bucket.count
        guard n > 1 else { return 0 }
        let chunks = (0..<n).map { EvenSplit.range(count: count, part: $0, parts: n) }
        let mine = chunks[comm.rank]
        let scale = 1 / Float(n)
        let wire = (0..<count).map { encode(bucket[$0] * scale) }
        // Phase 1: chunk d to rank d; this rank receives its chunk from every rank.
        var received = [UInt16](repeating: 0, count: mine.count * n)
        try wire.withUnsafeBufferPointer { send in
            try received.withUnsafeMutableBufferPointer { receive in
                try comm.alltoall(send, sendCounts: chunks.map(\.count), into: receive,
                                  receiveCounts: [Int](repeating: mine.count, count: n))
            }
        }
        var owned = [UInt16](repeating: 0, count: mine.count)
        for i in 0..<mine.count {
            var total: Float = 0
            for source in 0..<n { total += decode(received[source * mine.count + i]) }
            owned[i] = encode(total)
        }
        // Phase 2: every rank's summed chunk to every rank.
        var gathered = [UInt16](repeating: 0, count: count)
        try owned.withUnsafeBufferPointer { send in
            try gathered.withUnsafeMutableBufferPointer { receive in
                try comm.allgather(send, into: receive, counts: chunks.map(\.count))
            }
        }
        let back = Float(n)
        for i in 0..<count { bucket[i] = decode(gathered[i]) * back }
        return 2 * (count - mine.count) * 2
    }
}
