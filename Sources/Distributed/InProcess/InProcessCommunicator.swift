import Foundation

/// One rank of an `InProcessWorld`. Collectives read the other ranks' buffers directly; results
/// are computed in rank order, so a reduction is deterministic (and equals MPI's for the small
/// integer and exactly representable values tests use).
final class InProcessCommunicator: Communicator, @unchecked Sendable {
    private let hub: InProcessHub
    let rank: Int
    var size: Int { hub.size }
    let localRank: Int
    let localSize: Int

    init(hub: InProcessHub, rank: Int, ranksPerNode: Int) {
        self.hub = hub
        self.rank = rank
        let node = rank / ranksPerNode
        localRank = rank - node * ranksPerNode
        localSize = min(ranksPerNode, hub.size - node * ranksPerNode)
    }

    /// What a rank posts: a pointer to its data and its count.
    private struct Post {
        let data: UnsafeRawPointer?
        let count: Int
        var counts: [Int] = []
    }

    public func allreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws {
        let n = buffer.count
        let reduced: [T] = try hub.round(rank: rank, call: "allreduce", post: Post(data: UnsafeRawPointer(buffer.baseAddress), count: n)) { all in
            let posts = all.map { $0 as! Post }
            guard posts.allSatisfy({ $0.count == n }) else {
                throw CommunicationError.countMismatch(call: "allreduce", detail: "counts \(posts.map(\.count)) differ")
            }
            var acc = Array(UnsafeBufferPointer(start: posts[0].data?.assumingMemoryBound(to: T.self), count: n))
            for p in posts.dropFirst() {
                let other = p.data!.assumingMemoryBound(to: T.self)
                for i in 0..<n { acc[i] = T.combine(acc[i], other[i], op) }
            }
            return acc
        }
        for i in 0..<n { buffer[i] = reduced[i] }
    }

    public func startAllreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>,
                                                       _ op: ReduceOperation) throws -> CommunicationRequest {
        // Every rank issues the same sequence, so completing the reduction now is a valid schedule.
        try allreduce(buffer, op)
        return CompletedRequest()
    }

    public func broadcast<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        guard root >= 0 && root < size else { throw CommunicationError.rankOutOfRange(call: "broadcast", rank: root, size: size) }
        let n = buffer.count
        let value: [T] = try hub.round(rank: rank, call: "broadcast", post: Post(data: UnsafeRawPointer(buffer.baseAddress), count: n)) { all in
            let p = all[root] as! Post
            guard p.count == n else {
                throw CommunicationError.countMismatch(call: "broadcast", detail: "root sent \(p.count), rank \(rank) expects \(n)")
            }
            return Array(UnsafeBufferPointer(start: p.data?.assumingMemoryBound(to: T.self), count: n))
        }
        for i in 0..<n { buffer[i] = value[i] }
    }

    public func allgather<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                  counts: [Int]) throws {
        guard counts.count == size, counts[rank] == send.count, receive.count == counts.reduce(0, +) else {
            throw CommunicationError.countMismatch(call: "allgather", detail: "counts \(counts), send \(send.count), receive \(receive.count)")
        }
        let gathered: [T] = try hub.round(rank: rank, call: "allgather", post: Post(data: UnsafeRawPointer(send.baseAddress), count: send.count)) { all in
            var out: [T] = []
            for (r, any) in all.enumerated() {
                let p = any as! Post
                guard p.count == counts[r] else {
                    throw CommunicationError.countMismatch(call: "allgather", detail: "rank \(r) sent \(p.count), expected \(counts[r])")
                }
                out += UnsafeBufferPointer(start: p.data?.assumingMemoryBound(to: T.self), count: p.count)
            }
            return out
        }
        for i in 0..<gathered.count { receive[i] = gathered[i] }
    }

    public func reduceScatter<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                      counts: [Int], _ op: ReduceOperation) throws {
        guard counts.count == size, send.count == counts.reduce(0, +), receive.count == counts[rank] else {
            throw CommunicationError.countMismatch(call: "reduceScatter", detail: "counts \(counts), send \(send.count), receive \(receive.count)")
        }
        let start = counts[..<rank].reduce(0, +), n = counts[rank]
        let block: [T] = try hub.round(rank: rank, call: "reduceScatter", post: Post(data: UnsafeRawPointer(send.baseAddress), count: send.count)) { all in
            let posts = all.map { $0 as! Post }
            guard posts.allSatisfy({ $0.count == send.count }) else {
                throw CommunicationError.countMismatch(call: "reduceScatter", detail: "counts \(posts.map(\.count)) differ")
            }
            let first = posts[0].data!.assumingMemoryBound(to: T.self)
            var acc = (0..<n).map { first[start + $0] }
            for p in posts.dropFirst() {
                let other = p.data!.assumingMemoryBound(to: T.self)
                for i in 0..<n { acc[i] = T.combine(acc[i], other[start + i], op) }
            }
            return acc
        }
        for i in 0..<n { receive[i] = block[i] }
    }

    public func alltoall<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                                 into receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int]) throws {
        guard sendCounts.count == size, receiveCounts.count == size, send.count == sendCounts.reduce(0, +),
              receive.count == receiveCounts.reduce(0, +) else {
            throw CommunicationError.countMismatch(call: "alltoall", detail: "counts \(sendCounts)/\(receiveCounts)")
        }
        var post = Post(data: UnsafeRawPointer(send.baseAddress), count: send.count)
        post.counts = sendCounts
        let me = rank
        let received: [T] = try hub.round(rank: rank, call: "alltoall", post: post) { all in
            var out: [T] = []
            for (source, any) in all.enumerated() {
                let p = any as! Post
                let offset = p.counts[..<me].reduce(0, +), n = p.counts[me]
                guard n == receiveCounts[source] else {
                    throw CommunicationError.countMismatch(
                        call: "alltoall", detail: "rank \(source) sends \(n) to rank \(me), which expects \(receiveCounts[source])")
                }
                let base = p.data?.assumingMemoryBound(to: T.self)
                out += UnsafeBufferPointer(start: base.map { $0 + offset }, count: n)
            }
            return out
        }
        for i in 0..<received.count { receive[i] = received[i] }
    }

    public func barrier() throws {
        try hub.round(rank: rank, call: "barrier", post: Post(data: nil, count: 0)) { _ in () }
    }

    public func duplicate() throws -> Communicator {
        let fresh = InProcessHub(size: size, timeout: hub.timeout)
        let shared: InProcessHub = try hub.round(rank: rank, call: "duplicate", post: fresh) { all in all[0] as! InProcessHub }
        return InProcessCommunicator(hub: shared, rank: rank, ranksPerNode: localSize == size ? size : max(1, localSize))
    }

    public func abort(code: Int32) -> Never {
        fatalError("rank \(rank) aborted its in-process world with code \(code)")
    }
}
