import Autograd

/// A bucket summed with a lossy `BlockCodec` on the wire and error feedback on both sides
/// (EF-SGD, Karimireddy et al. 2019; the two-sided form of 1-bit Adam, Tang et al. 2021):
///   1. worker: v = g + e_w; send chunk d of encode(v) to rank d; e_w ← v − decode(encode(v));
///   2. owner of chunk d: s = e_o + Σ_ranks decode(received); e_o ← s − decode(encode(s));
///   3. allgather every owner's encode(s); every rank's bucket ← decode(gathered).
/// What is lost in a step is kept in the residuals and sent in later steps, so over T steps
/// Σ applied + Σ_ranks e_w + e_o = Σ true sums: nothing is lost, only delayed.
///
/// Chunks are whole blocks (the last block of a bucket may be short), so chunk boundaries never
/// cut a block. Before `startStep` the buckets travel as float32 allreduces (warm-up).
///
/// State per stream (pass of the step): e_w over every bucket (laid out like the gradient
/// buffer), e_o over this rank's chunk of every bucket, one after another. Touched only by the
/// communication thread; read and restored by the checkpoint between steps.
public final class ErrorFeedbackSum: TwoPhaseBucketSum, @unchecked Sendable {
    public let codec: BlockCodec
    /// Steps before this one are summed in float32 (`distributed.compression_start_step`).
    public let startStep: Int
    public let name: String
    private var buckets: [Range<Int>] = []
    private var rank = 0, ranks = 1, streams = 0
    /// Start of each bucket's owned chunk in a stream's e_o, and a stream's e_w and e_o lengths.
    private var ownerOffsets: [Int] = [], workerCount = 0, ownerCount = 0
    private var worker = Tensor(zeros: [0]), owner = Tensor(zeros: [0])
    private let scratch = ByteScratch()
    public let clock = ComputeClock()

    public let transport: WireTransport

    /// - Parameter zstd: compress the encoded payloads with zstd on the wire (`distributed.wire_zstd`).
    public init(name: String, codec: BlockCodec, startStep: Int = 0, zstd: Bool = false) {
        self.name = name
        self.codec = codec
        self.startStep = startStep
        transport = WireTransport(zstd: zstd)
    }

    public func prepare(buckets: [BucketContents], rank: Int, ranks: Int, streams: Int) {
        self.buckets = buckets.map(\.range)
        self.rank = rank
        self.ranks = ranks
        self.streams = streams
        workerCount = self.buckets.map(\.upperBound).max() ?? 0
        ownerOffsets = []
        ownerCount = 0
        for b in self.buckets {
            ownerOffsets.append(ownerCount)
            ownerCount += chunk(count: b.count, part: rank, parts: ranks).count
        }
        worker = Tensor(zeros: [streams * workerCount])
        owner = Tensor(zeros: [streams * ownerCount])
    }

    public var state: [(name: String, tensor: Tensor)] {
        [("compression.\(name).worker_residual", worker), ("compression.\(name).owner_residual", owner)]
    }

    public var stateLayout: String {
        // The buckets' ranges decide where every residual value sits; a digest keeps the text short.
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in buckets { for v in [b.lowerBound, b.upperBound] { digest = (digest ^ UInt64(v)) &* 0x100_0000_01b3 } }
        return "\(name) block_size=\(codec.blockSize) ranks=\(ranks) streams=\(streams) buckets=\(buckets.count)/"
            + String(digest, radix: 16)
    }

    public func resetState() {
        worker.data.update(repeating: 0, count: worker.count)
        owner.data.update(repeating: 0, count: owner.count)
    }

    /// This rank's e_w of a bucket, and its e_o (over its chunk), in a stream.
    func workerResidual(bucket: Int, stream: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: worker.data + stream * workerCount + buckets[bucket].lowerBound,
                                   count: buckets[bucket].count)
    }

    func ownerResidual(bucket: Int, stream: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: owner.data + stream * ownerCount + ownerOffsets[bucket],
                                   count: chunk(count: buckets[bucket].count, part: rank, parts: ranks).count)
    }

    /// The element range of rank `part`'s chunk of a bucket of `count` values: whole blocks.
    public func chunk(count: Int, part: Int, parts: Int) -> Range<Int> {
        let blocks = (count + codec.blockSize - 1) / codec.blockSize
        let b = EvenSplit.range(count: blocks, part: part, parts: parts)
        return min(b.lowerBound * codec.blockSize, count)..<min(b.upperBound * codec.blockSize, count)
    }

    public func sum(_ bucket: UnsafeMutableBufferPointer<Float>, at place: BucketPlace, over comm: Communicator) throws -> Int {
        let n = comm.size, count = bucket.count
        guard n > 1 else { return 0 }
        guard place.step >= startStep else { return try FullPrecisionSum().sum(bucket, at: place, over: comm) }
        precondition(n == ranks && comm.rank == rank && place.bucket < buckets.count && place.stream < streams
                     && buckets[place.bucket].count == count, "ErrorFeedbackSum: sum of \(place) not prepared for")
        let chunks = (0..<n).map { chunk(count: count, part: $0, parts: n) }
        let mine = chunks[comm.rank]
        let sendCounts = chunks.map { codec.chunkBytes($0.count) }, ownedBytes = sendCounts[comm.rank]
        let total = sendCounts.reduce(0, +), offsets = sendCounts.indices.map { sendCounts[..<$0].reduce(0, +) }
        let send = scratch.buffer(0, count: total), receive = scratch.buffer(1, count: ownedBytes * n)
        let ownedSend = scratch.buffer(2, count: ownedBytes), gathered = scratch.buffer(3, count: total)

        // 1. Worker: v = g + e_w, encoded chunk by chunk; what the encoding lost stays in e_w.
        let e = workerResidual(bucket: place.bucket, stream: place.stream)
        clock.time {
            for i in 0..<count { e[i] += bucket[i] }
            for (d, c) in chunks.enumerated() {
                codec.encodeChunk(UnsafeMutableBufferPointer(rebasing: e[c]), into: send.baseAddress! + offsets[d])
            }
        }
        let before = transport.sent
        try transport.alltoall(send, sendCounts: sendCounts, into: receive, receiveCount: ownedBytes, over: comm)

        // 2. Owner: s = e_o + Σ decoded, re-encoded; what that lost stays in e_o.
        let s = ownerResidual(bucket: place.bucket, stream: place.stream)
        clock.time {
            for source in 0..<n {
                codec.addDecodedChunk(UnsafeRawPointer(receive.baseAddress! + source * ownedBytes), count: mine.count,
                                      into: s.baseAddress!)
            }
            codec.encodeChunk(s, into: ownedSend.baseAddress!)
        }

        // 3. Every owner's encoded sum to every rank.
        try transport.allgather(ownedSend, into: gathered, counts: sendCounts, over: comm)
        clock.time {
            bucket.update(repeating: 0)
            for (d, c) in chunks.enumerated() {
                codec.addDecodedChunk(UnsafeRawPointer(gathered.baseAddress! + offsets[d]), count: c.count,
                                      into: bucket.baseAddress! + c.lowerBound)
            }
        }
        return transport.sent - before
    }
}
