import Autograd

/// How one gradient bucket is summed over the ranks: in full precision, or with its values
/// compressed on the wire (`distributed.gradient_compression`). Separate from bucketing: the
/// exchange decides when a bucket goes, a `BucketSum` how.
public protocol BucketSum: Sendable {
    /// Replaces `bucket` on every rank by its element-wise sum over the ranks (collective: every
    /// rank calls it with a bucket of the same size at the same place). Returns the bytes this
    /// rank sent. Called from one thread at a time (the exchange's communication thread).
    func sum(_ bucket: UnsafeMutableBufferPointer<Float>, at place: BucketPlace, over comm: Communicator) throws -> Int

    /// Sets up state for these buckets (in bucket order), this rank of `ranks`, and `streams`
    /// passes per step, before the first `sum`.
    func prepare(buckets: [BucketContents], rank: Int, ranks: Int, streams: Int)

    /// This rank's state as named flat buffers, for the checkpoint (empty: stateless), and what
    /// it depends on: a checkpoint's state is restored only where `stateLayout` is the same.
    var state: [(name: String, tensor: Tensor)] { get }
    var stateLayout: String { get }
    /// Back to the state of a fresh start (zero residuals).
    func resetState()

    /// Seconds spent so far on compression arithmetic (0 for float32), for benchmarks; and a reset.
    var computeSeconds: Double { get }
    func resetComputeSeconds()
    /// Payload bytes sent so far, and what they would have been without zstd (`wire_zstd`; equal without).
    var payloadBytes: (sent: Int, raw: Int) { get }
}

extension BucketSum {
    public func prepare(buckets: [BucketContents], rank: Int, ranks: Int, streams: Int) {}
    public var state: [(name: String, tensor: Tensor)] { [] }
    public var stateLayout: String { "" }
    public func resetState() {}
    public var computeSeconds: Double { 0 }
    public func resetComputeSeconds() {}
    public var payloadBytes: (sent: Int, raw: Int) { (0, 0) }
}

/// What a bucket holds: its range of the flat gradient buffer and the tensors in it (a
/// compressor that treats matrices as matrices needs their shapes).
public struct BucketContents: Sendable, Equatable {
    public var range: Range<Int>
    public var tensors: [TensorSpan]

    public struct TensorSpan: Sendable, Equatable {
        /// Where the tensor starts in the flat buffer, and its shape.
        public var offset: Int
        public var shape: [Int]

        public init(offset: Int, shape: [Int]) {
            self.offset = offset
            self.shape = shape
        }
    }

    public init(range: Range<Int>, tensors: [TensorSpan]) {
        self.range = range
        self.tensors = tensors
    }

    /// A bucket of one flat tensor (tests, benchmarks).
    public init(range: Range<Int>) {
        self.init(range: range, tensors: [TensorSpan(offset: range.lowerBound, shape: [range.count])])
    }
}

/// Which bucket is being summed, in which gradient stream, at which step: what a compressor with
/// state (error feedback, warm start) keys that state by.
public struct BucketPlace: Sendable, Hashable {
    /// The bucket's index in the `GradientBucketPlan`.
    public var bucket: Int
    /// The pass within a step: under SAM, 0 is the ascent gradient and 1 the update gradient.
    /// They are different quantities, so each keeps its own compression residuals.
    public var stream: Int
    /// The optimisation step (global, so a resumed run continues the same schedule).
    public var step: Int

    public init(bucket: Int, stream: Int = 0, step: Int = 0) {
        self.bucket = bucket
        self.stream = stream
        self.step = step
    }
}

/// The reference: one float32 allreduce. Bytes sent by the ring convention, 2·(N−1)/N of the bucket.
public struct FullPrecisionSum: BucketSum {
    public init() {}

    public func sum(_ bucket: UnsafeMutableBufferPointer<Float>, at place: BucketPlace, over comm: Communicator) throws -> Int {
        try comm.allreduce(bucket, .sum)
        return Self.bytes(count: bucket.count, ranks: comm.size)
    }

    /// What a float32 ring allreduce of `count` values sends from each of `ranks` ranks.
    public static func bytes(count: Int, ranks: Int) -> Int {
        2 * (ranks - 1) * count * 4 / max(ranks, 1)
    }
}
