import Foundation

/// A world of one: every collective is the identity (or a copy), so single-process runs take the
/// same code path as distributed ones without MPI.
public final class LocalCommunicator: Communicator {
    public let rank = 0
    public let size = 1
    public let localRank = 0
    public let localSize = 1

    public init() {}

    public func allreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws {}

    public func startAllreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>,
                                                       _ op: ReduceOperation) throws -> CommunicationRequest {
        CompletedRequest()
    }

    public func broadcast<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        guard root == 0 else { throw CommunicationError.rankOutOfRange(call: "broadcast", rank: root, size: 1) }
    }

    public func allgather<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                  counts: [Int]) throws {
        try copy(send, into: receive, counts: counts, call: "allgather")
    }

    public func reduceScatter<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                      counts: [Int], _ op: ReduceOperation) throws {
        try copy(send, into: receive, counts: counts, call: "reduceScatter")
    }

    public func alltoall<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                                 into receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int]) throws {
        guard sendCounts == receiveCounts else {
            throw CommunicationError.countMismatch(call: "alltoall", detail: "\(sendCounts) sent, \(receiveCounts) expected")
        }
        try copy(send, into: receive, counts: sendCounts, call: "alltoall")
    }

    public func barrier() throws {}

    public func duplicate() throws -> Communicator { LocalCommunicator() }

    public func abort(code: Int32) -> Never {
        fflush(stdout)
        exit(code)
    }

    private func copy<T>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>, counts: [Int],
                         call: String) throws {
        guard counts == [send.count], receive.count == send.count else {
            throw CommunicationError.countMismatch(
                call: call, detail: "counts \(counts) for \(send.count) sent and \(receive.count) received in a world of one")
        }
        if let from = send.baseAddress, let to = receive.baseAddress { to.update(from: from, count: send.count) }
    }
}

/// A request that completed when it was started.
final class CompletedRequest: CommunicationRequest {
    func wait() throws {}
}
