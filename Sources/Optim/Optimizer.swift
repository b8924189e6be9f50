/// An update rule over a flat slice of parameters, with its own state for that slice.
/// `step` applies one update with the gradients currently in the slice.
public protocol Optimizer: AnyObject {
    /// Number of elements this optimizer's state covers (its slice's count).
    var count: Int { get }
    /// Steps taken so far (Adam's bias correction depends on it; it is checkpointed).
    var stepCount: Int { get set }
    func step(_ slice: FlatSlice, learningRate: Float)
    /// Named state tensors, each `count` long (Adam's m and v), for checkpoints.
    var state: [(name: String, values: UnsafeMutablePointer<Float>)] { get }
}
