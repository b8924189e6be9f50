import Autograd

/// Inverted dropout, `torch.nn.Dropout(p)`: active only while the graph is training.
public struct Dropout {
    public let p: Float

    public init(p: Float) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
    }

    /// Any shape → the same shape. Draws one uniform per element from `rng` when active.
    public func callAsFunction(_ x: Variable, rng: inout SeededRNG) -> Variable {
        x.dropout(p: p, rng: &rng)
    }
}
