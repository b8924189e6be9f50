import CZstd

/// The two moves of the two-phase compressors, on byte payloads: an alltoall of one chunk per
/// destination, then an allgather of each rank's chunk. With `zstd` (`distributed.wire_zstd`)
/// every payload goes zstd-compressed (level 1), preceded by one exchange of the compressed sizes;
/// `sent` counts what left this rank, `raw` what would have without zstd.
public final class WireTransport {
    let zstd: Bool
    private let scratch = ByteScratch()
    private let context: OpaquePointer?
    /// Bytes this rank sent, and the bytes the same payloads take uncompressed; since the last reset.
    public private(set) var sent = 0, raw = 0

    init(zstd: Bool) {
        self.zstd = zstd
        context = zstd ? ZSTD_createCCtx() : nil
    }

    deinit { if let context { ZSTD_freeCCtx(context) } }

    func resetCounts() { sent = 0; raw = 0 }

    /// Chunk d of `send` (`sendCounts[d]` bytes) to rank d; this rank's chunk from each rank s
    /// (`receiveCount` bytes each) into `receive`, in rank order.
    func alltoall(_ send: UnsafeMutableBufferPointer<UInt8>, sendCounts: [Int], into receive: UnsafeMutableBufferPointer<UInt8>,
                  receiveCount: Int, over comm: Communicator) throws {
        let n = comm.size, me = comm.rank
        let others = sendCounts.indices.filter { $0 != me }.reduce(0) { $0 + sendCounts[$1] }
        raw += others
        guard zstd else {
            try comm.alltoall(UnsafeBufferPointer(send), sendCounts: sendCounts, into: receive,
                              receiveCounts: [Int](repeating: receiveCount, count: n))
            sent += others
            return
        }
        var packed: [Int] = [], offset = 0
        let bound = sendCounts.reduce(0) { $0 + ZSTD_compressBound($1) }
        let out = scratch.buffer(0, count: bound)
        var at = 0
        for (d, count) in sendCounts.enumerated() {
            let size = try compress(UnsafeRawBufferPointer(Self.bytes(send, offset..<(offset + count))),
                                    into: Self.bytes(out, at..<out.count))
            packed.append(size)
            at += size
            offset += count
            if d != me { sent += size }
        }
        var sizes = [Int64](repeating: 0, count: n)
        try packed.map(Int64.init).withUnsafeBufferPointer { mine in
            try sizes.withUnsafeMutableBufferPointer {
                try comm.alltoall(mine, sendCounts: [Int](repeating: 1, count: n), into: $0,
                                  receiveCounts: [Int](repeating: 1, count: n))
            }
        }
        sent += 8 * (n - 1)
        let incoming = sizes.map { Int($0) }
        let arrived = scratch.buffer(1, count: incoming.reduce(0, +))
        try comm.alltoall(UnsafeBufferPointer(rebasing: out[0..<at]), sendCounts: packed, into: arrived,
                          receiveCounts: incoming)
        var from = 0
        for s in 0..<n {
            try decompress(UnsafeRawBufferPointer(Self.bytes(arrived, from..<(from + incoming[s]))),
                           into: Self.bytes(receive, (s * receiveCount)..<((s + 1) * receiveCount)))
            from += incoming[s]
        }
    }

    /// Rank r's `send` (`counts[r]` bytes) to every rank, into `receive` in rank order.
    func allgather(_ send: UnsafeMutableBufferPointer<UInt8>, into receive: UnsafeMutableBufferPointer<UInt8>, counts: [Int],
                   over comm: Communicator) throws {
        let n = comm.size
        raw += (n - 1) * send.count
        guard zstd else {
            try comm.allgather(UnsafeBufferPointer(send), into: receive, counts: counts)
            sent += (n - 1) * send.count
            return
        }
        let out = scratch.buffer(0, count: ZSTD_compressBound(send.count))
        let size = try compress(UnsafeRawBufferPointer(send), into: UnsafeMutableRawBufferPointer(out))
        let sizes = try comm.allgather([Int64(size)]).map { Int($0[0]) }
        sent += (n - 1) * (size + 8)
        let arrived = scratch.buffer(1, count: sizes.reduce(0, +))
        try comm.allgather(UnsafeBufferPointer(rebasing: out[0..<size]), into: arrived, counts: sizes)
        var from = 0, to = 0
        for s in 0..<n {
            try decompress(UnsafeRawBufferPointer(Self.bytes(arrived, from..<(from + sizes[s]))),
                           into: Self.bytes(receive, to..<(to + counts[s])))
            from += sizes[s]
            to += counts[s]
        }
    }

    private func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        let size = ZSTD_compressCCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count, 1)
        guard ZSTD_isError(size) == 0 else { throw CommunicationError.wire(detail: Self.message(size)) }
        return size
    }

    private func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws {
        let size = ZSTD_decompress(destination.baseAddress, destination.count, source.baseAddress, source.count)
        guard ZSTD_isError(size) == 0, size == destination.count else {
            throw CommunicationError.wire(detail: ZSTD_isError(size) != 0 ? Self.message(size)
                                          : "a zstd payload of \(size) bytes where \(destination.count) were expected")
        }
    }

    /// `range` of `buffer` as raw bytes.
    private static func bytes(_ buffer: UnsafeMutableBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffer.baseAddress.map { $0 + range.lowerBound }, count: range.count)
    }

    private static func message(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }
}

/// A compressor whose payloads go through a `WireTransport`: its byte counts are the transport's.
public protocol TwoPhaseBucketSum: MeteredBucketSum {
    var transport: WireTransport { get }
}

extension TwoPhaseBucketSum {
    public var payloadBytes: (sent: Int, raw: Int) { (transport.sent, transport.raw) }
}
