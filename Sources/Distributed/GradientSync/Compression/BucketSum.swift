/// How one gradient bucket is summed over the ranks: in full precision, or with its values
/// compressed on the wire (`distributed.gradient_compression`). Separate from bucketing: the
/// exchange decides when a bucket goes, a `BucketSum` how.
public protocol BucketSum: Sendable {
    /// Replaces `bucket` on every rank by its element-wise sum over the ranks (collective: every
    /// rank calls it with a bucket of the same size). Returns the bytes this rank sent.
    func sum(_ bucket: UnsafeMutableBufferPointer<Float>, over comm: Communicator) throws -> Int
}

/// The reference: one float32 allreduce. Bytes sent by the ring convention, 2·(N−1)/N of the bucket.
public struct FullPrecisionSum: BucketSum {
    public init() {}

    public func sum(_ bucket: UnsafeMutableBufferPointer<Float>, over comm: Communicator) throws -> Int {
        try comm.allreduce(bucket, .sum)
        return 2 * (comm.size - 1) * bucket.count * 4 / max(comm.size, 1)
    }
}
