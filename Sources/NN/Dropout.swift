import Autograd

/// Inverted dropout, `torch.nn.Dropout(p)`: active only while the graph is training.
public struct Dropout {
    public let p: Float

    public init(p: Float) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
    }

    /// Any shape → the same shape. Each sample's mask comes from `masks` (keyed by its plan position).
    public func callAsFunction(_ x: Variable, masks: inout DropoutStream) -> Variable {
        x.dropout(p: p, masks: &masks)
    }
}
