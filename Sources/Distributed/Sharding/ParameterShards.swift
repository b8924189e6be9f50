import Autograd
import Optim
import Optim

/// ZeRO stage 1's division of the flat parameter buffer (Rajbhandari et al., SC 2020): rank r
/// owns `EvenSplit` piece r, the same slice its checkpoint shard holds, and keeps optimiser state
/// for it alone. Per step: gradients are reduce-scattered to their owners, norms are one
/// exchange of partial sums, each rank moves its own parameters, and an allgather gives every
/// rank the whole of them again.
public final class ParameterShards {
    public let count: Int
    public let ranges: [Range<Int>]
    public let rank: Int
    private let communicator: Communicator

    /// Every rank constructs it at the same point; it uses `communicator` from the calling thread.
    public init(count: Int, communicator: Communicator) {
        self.count = count
        self.communicator = communicator
        rank = communicator.rank
        ranges = (0..<communicator.size).map { EvenSplit.range(count: count, part: $0, parts: communicator.size) }
    }

    public var owned: Range<Int> { ranges[rank] }

    /// Σx² over the whole buffer from each rank's own piece of `x` (collective): the partial
    /// sums are gathered and added in rank order, as `FlatNorm.sumOfSquares(parts:)` adds them.
    public func sumOfSquares(_ x: UnsafePointer<Float>) throws -> Double {
        let mine = FlatNorm.sumOfSquares(x + owned.lowerBound, count: owned.count)
        return try communicator.allgather([mine]).reduce(0.0) { $0 + $1[0] }
    }

    /// Every rank's own piece of `values` to every rank (collective). Returns the bytes sent.
    @discardableResult
    public func allgather(_ values: UnsafeMutablePointer<Float>) throws -> Int {
        let mine = Array(UnsafeBufferPointer(start: values + owned.lowerBound, count: owned.count))
        try mine.withUnsafeBufferPointer { send in
            try communicator.allgather(send, into: UnsafeMutableBufferPointer(start: values, count: count),
                                       counts: ranges.map(\.count))
        }
        return (count - owned.count) * 4
    }
}
