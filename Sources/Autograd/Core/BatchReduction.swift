/// The other replicas of a batch, for ops whose result depends on the whole batch: BatchNorm's
/// training statistics and a batch-wide minimum or maximum. With one set on the graph
/// (`Graph.batchReduction`), N ranks each holding a slice of a batch compute exactly what one
/// process holding all of it would (PyTorch's SyncBatchNorm, extended to every batch-wide value).
///
/// Calls are collectives: every replica makes the same calls in the same order, so a replica
/// with no samples still runs the forward and backward, on a stand-in batch, with
/// `contributes == false`: it adds nothing to any statistic and its loss is seeded with 0.
/// The calls cannot fail: an implementation that meets a communication error ends the job.
public protocol BatchReduction: AnyObject {
    /// Whether this replica's batch counts; false for a stand-in batch.
    var contributes: Bool { get set }
    /// Element-wise sums over the replicas, in place.
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
    /// Element-wise maximum or minimum over the replicas, in place.
    func maximum(_ values: UnsafeMutableBufferPointer<Float>)
    func minimum(_ values: UnsafeMutableBufferPointer<Float>)
}

extension BatchReduction {
    public func sum(_ values: inout [Double]) { values.withUnsafeMutableBufferPointer { sum($0) } }
}
