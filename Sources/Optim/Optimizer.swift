import Autograd

/// An update rule over a flat slice of parameters, with its own state for that slice.
/// `step` applies one update with the gradients currently in the slice.
public protocol Optimizer: AnyObject {
    /// Number of elements this optimizer's state covers (its slice's count).
    var count: Int { get }
    /// Steps taken so far (Adam's bias correction depends on it; it is checkpointed).
    var stepCount: Int { get set }
    /// One update; with `compute`, the elementwise pass runs on its threads (same results).
    func step(_ slice: FlatSlice, learningRate: Float, compute: ComputePool?)
    /// Named state tensors, each `count` long (Adam's m and v), for checkpoints.
    var state: [(name: String, values: UnsafeMutablePointer<Float>)] { get }
}

extension Optimizer {
    public func step(_ slice: FlatSlice, learningRate: Float) { step(slice, learningRate: learningRate, compute: nil) }
}
