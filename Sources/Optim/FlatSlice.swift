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
    static let block = 4096

    /// With `compute`, the blocks are summed on its threads and then added in order: the same
    /// bits as one thread.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int, compute: ComputePool? = nil) -> Double {
        let blocks = (count + block - 1) / block
        func blockSum(_ b: Int) -> Double {
            var partial: Float = 0
            for i in (b * block)..<Swift.min(count, (b + 1) * block) { partial += x[i] * x[i] }
            return Double(partial)
        }
        guard let compute, compute.threads > 1, blocks >= 32 else {
            return (0..<blocks).reduce(0.0) { $0 + blockSum($1) }
        }
        let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks)
        defer { partials.deallocate() }
        compute.parallelFor(blocks, grain: 16) { r in for b in r { partials[b] = blockSum(b) } }
        return partials.reduce(0.0, +)
    }

    /// The sum over `parts` near-equal consecutive pieces (`EvenSplit`), each summed as above,
    /// added in order: what ranks that each hold one piece get by exchanging their partial sums,
    /// so a sharded run and an unsharded one take the same norm bit for bit.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int, parts: Int, compute: ComputePool? = nil) -> Double {
        (0..<parts).reduce(0.0) { total, part in
            let r = EvenSplit.range(count: count, part: part, parts: parts)
            return total + sumOfSquares(x + r.lowerBound, count: r.count, compute: compute)
        }
    }
}

/// Elementwise passes over the flat buffers (optimiser updates, SAM's moves and copies), on a
/// pool's threads when one is given: each element's result does not depend on the split.
public enum FlatPass {
    /// Elements per thread chunk: large enough that waking a thread is paid back.
    static let grain = 1 << 16

    public static func run(_ count: Int, compute: ComputePool?, _ body: (Range<Int>) -> Void) {
        guard let compute else { return body(0..<count) }
        compute.parallelFor(count, grain: grain, body)
    }

    /// dst[0..<count] = src[0..<count].
    public static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int,
                            compute: ComputePool?) {
        run(count, compute: compute) { r in (dst + r.lowerBound).update(from: src + r.lowerBound, count: r.count) }
    }
}
