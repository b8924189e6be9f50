import Autograd

/// A bucket summed with 16-bit values on the wire (fp16 or bf16), in two phases: every rank
/// sends chunk r of its (pre-scaled, rounded) bucket to rank r; rank r widens what it received
/// to float32, sums it there, rounds the sum once and sends it to every rank (allgather). Wire
/// bytes are half of a float32 ring allreduce's, and the sum itself is taken in float32, so the
/// only error is one rounding of each rank's values and one of the sum.
///
/// Each rank multiplies by 1/N before rounding and the result by N after, so an fp16 sum of N
/// values stays in range whenever the values do (a gradient above 65504 overflows either way).
public final class HalfPrecisionSum: TwoPhaseBucketSum, @unchecked Sendable {
    public enum Format: String, Sendable { case fp16, bf16 }
    public let format: Format
    private let scratch = ByteScratch()
    public let clock = ComputeClock()

    public let transport: WireTransport

    /// - Parameter zstd: compress the 16-bit payloads with zstd on the wire (`distributed.wire_zstd`).
    public init(format: Format, zstd: Bool = false) {
        self.format = format
        transport = WireTransport(zstd: zstd)
    }

    public func sum(_ bucket: UnsafeMutableBufferPointer<Float>, at place: BucketPlace, over comm: Communicator) throws -> Int {
        let n = comm.size, count = bucket.count
        guard n > 1 else { return 0 }
        let chunks = (0..<n).map { EvenSplit.range(count: count, part: $0, parts: n) }
        let mine = chunks[comm.rank]
        // Four 16-bit buffers, reused from bucket to bucket: the whole bucket rounded, what this
        // rank receives, its summed chunk, and every chunk gathered (slot 4: the float32 sums).
        let slots = [count, mine.count * n, mine.count, count].enumerated().map { scratch.buffer($0.offset, count: 2 * $0.element) }
        func halves(_ slot: Int) -> UnsafeMutableBufferPointer<UInt16> {
            UnsafeMutableRawBufferPointer(slots[slot]).bindMemory(to: UInt16.self)
        }
        let wire = halves(0), received = halves(1), owned = halves(2), gathered = halves(3)
        let scale = 1 / Float(n)
        clock.time {
            // One loop per format: the conversion inlines and the loop carries no branch on the format.
            if format == .fp16 {
                for i in 0..<count { wire[i] = HalfPrecision.half(from: bucket[i] * scale) }
            } else {
                for i in 0..<count { wire[i] = HalfPrecision.bfloat16(from: bucket[i] * scale) }
            }
        }
        // Phase 1: chunk d to rank d; this rank receives its chunk from every rank.
        let before = transport.sent
        try transport.alltoall(slots[0], sendCounts: chunks.map { 2 * $0.count }, into: slots[1], receiveCount: 2 * mine.count,
                               over: comm)
        clock.time {
            guard mine.count > 0 else { return }
            let sums = UnsafeMutableRawBufferPointer(scratch.buffer(4, count: 4 * mine.count)).bindMemory(to: Float.self)
            sums.update(repeating: 0)
            for source in 0..<n {
                let from = received.baseAddress! + source * mine.count
                if format == .fp16 {
                    for i in 0..<mine.count { sums[i] += HalfPrecision.float(fromHalf: from[i]) }
                } else {
                    for i in 0..<mine.count { sums[i] += HalfPrecision.float(fromBFloat16: from[i]) }
                }
            }
            if format == .fp16 {
                for i in 0..<mine.count { owned[i] = HalfPrecision.half(from: sums[i]) }
            } else {
                for i in 0..<mine.count { owned[i] = HalfPrecision.bfloat16(from: sums[i]) }
            }
        }
        // Phase 2: every rank's summed chunk to every rank.
        try transport.allgather(slots[2], into: slots[3], counts: chunks.map { 2 * $0.count }, over: comm)
        let back = Float(n)
        clock.time {
            if format == .fp16 {
                for i in 0..<count { bucket[i] = HalfPrecision.float(fromHalf: gathered[i]) * back }
            } else {
                for i in 0..<count { bucket[i] = HalfPrecision.float(fromBFloat16: gathered[i]) * back }
            }
        }
        return transport.sent - before
    }
}
