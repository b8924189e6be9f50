import Autograd

/// A contiguous range of the flat parameter and gradient buffers: the whole model on one rank,
/// or one rank's shard when optimizer state is partitioned (ZeRO stage 1). Optimizers only
/// ever see slices, so sharding changes which slice, never the update rule.
public struct FlatSlice {
    public let values: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let count: Int
    /// The storages the pointers point into, kept alive as long as the slice.
    private let owners: [Storage]

    /// `range` of two equally long tensors (by default all of them).
    public init(values: Tensor, gradients: Tensor, range: Range<Int>? = nil) {
        precondition(values.count == gradients.count, "values \(values.count) and gradients \(gradients.count) differ")
        let r = range ?? 0..<values.count
        precondition(r.lowerBound >= 0 && r.upperBound <= values.count, "slice \(r) outside 0..<\(values.count)")
        self.values = values.data + r.lowerBound
        self.gradients = gradients.data + r.lowerBound
        self.count = r.count
        owners = [values.storage, gradients.storage]
    }

    /// `range` of a store's flat buffers (the whole store by default).
    public init(_ store: ParameterStore, range: Range<Int>? = nil) {
        self.init(values: store.values, gradients: store.gradients, range: range)
    }
}

/// Deterministic sums of squares: fixed 4096-element blocks accumulated in double, so the
/// result is the same bit for bit whatever the thread count.
public enum FlatNorm {
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        let block = 4096
        var total = 0.0
        var start = 0
        while start < count {
            let end = Swift.min(count, start + block)
            var partial: Float = 0
            for i in start..<end { partial += x[i] * x[i] }
            total += Double(partial)
            start = end
        }
        return total
    }

    /// The sum over `parts` near-equal consecutive pieces (`EvenSplit`), each summed as above,
    /// added in order: what ranks that each hold one piece get by exchanging their partial sums,
    /// so a sharded run and an unsharded one take the same norm bit for bit.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int, parts: Int) -> Double {
        (0..<parts).reduce(0.0) { total, part in
            let r = EvenSplit.range(count: count, part: part, parts: parts)
            return total + sumOfSquares(x + r.lowerBound, count: r.count)
        }
    }
}
