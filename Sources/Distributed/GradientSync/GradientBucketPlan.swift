import Autograd

/// A contiguous range of the flat gradient buffer exchanged as one message.
public struct GradientBucket: Sendable, Equatable {
    public let index: Int
    /// Element range in the flat gradient buffer.
    public let range: Range<Int>
    /// Parameters whose gradients lie in it.
    public let parameterCount: Int
}

/// Cuts the flat gradient buffer into buckets of about `capBytes`, walking the parameters in
/// reverse declaration order: backward finishes the last-declared layers first, so bucket 0 is
/// ready first and the exchange can start while backward still runs (PyTorch DDP's rule, with
/// `distributed.bucket_mb` as its `bucket_cap_mb`). A parameter larger than the cap is a bucket
/// of its own; parameters are never split.
public struct GradientBucketPlan: Sendable {
    public let buckets: [GradientBucket]
    /// Bucket of each trainable parameter, by its offset in the flat buffer.
    private let bucketOfOffset: [Int: Int]
    public let elementCount: Int

    public init(layout: ParameterLayout, capBytes: Int) {
        precondition(capBytes > 0, "bucket capacity must be positive")
        let capElements = max(1, capBytes / MemoryLayout<Float>.stride)
        var buckets: [GradientBucket] = []
        var owner: [Int: Int] = [:]
        var low = layout.parameterCount, high = layout.parameterCount, members = 0
        func close() {
            guard members > 0 else { return }
            buckets.append(GradientBucket(index: buckets.count, range: low..<high, parameterCount: members))
            high = low
            members = 0
        }
        for p in layout.parameters.reversed() where p.count > 0 {
            if members > 0 && high - p.offset > capElements { close() }
            low = p.offset
            owner[p.offset] = buckets.count
            members += 1
        }
        close()
        self.buckets = buckets
        bucketOfOffset = owner
        elementCount = layout.parameterCount
    }

    /// The bucket holding parameter `p`'s gradient.
    public func bucket(of p: Parameter) -> Int {
        guard let b = bucketOfOffset[p.offset] else { preconditionFailure("\(p.name) is not in the bucket plan") }
        return b
    }

    /// Each bucket's range and tensors, in bucket order (what a compressor prepares for).
    public func contents(_ layout: ParameterLayout) -> [BucketContents] {
        var tensors = [[BucketContents.TensorSpan]](repeating: [], count: buckets.count)
        for p in layout.parameters where p.count > 0 {
            guard let b = bucketOfOffset[p.offset] else { continue }
            tensors[b].append(.init(offset: p.offset, shape: p.shape))
        }
        return buckets.map { b in
            BucketContents(range: b.range, tensors: tensors[b.index].sorted { $0.offset < $1.offset })
        }
    }

    /// Parameters per bucket, for counting down readiness.
    public var parameterCounts: [Int] { buckets.map(\.parameterCount) }
}
