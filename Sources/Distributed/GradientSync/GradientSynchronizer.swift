import Autograd

/// Turns every rank's local gradients into the global one: Σ_r B_r·g_r / Σ_r B_r, where B_r is
/// the number of samples rank r's gradient covers.
///
/// Protocol of one pass (the trainer's side):
///   1. `beginPass(localSamples:stream:step:)` before the backward that completes the pass's
///      gradients, with this rank's sample count B_r (0 for an empty slice: the rank still takes
///      part), which pass of the step it is (SAM's ascent 0, update 1) and the global step;
///   2. backward, seeded so that the flat gradient holds this rank's **sum** over its samples
///      (the loss of a batch of B_r is a mean: seed it with B_r); the graph reports each
///      parameter as its gradient becomes final (`GradientReadinessObserver`);
///   3. `finish()`: waits until every gradient is exchanged; the flat gradient buffer then holds
///      the global mean on every rank.
public protocol GradientSynchronizer: GradientReadinessObserver {
    func beginPass(localSamples: Int, stream: Int, step: Int) throws
    func finish() throws -> ExchangeReport
}

extension GradientSynchronizer {
    /// A pass of stream 0 at step 0: for callers without steps (benchmarks, tests).
    public func beginPass(localSamples: Int) throws { try beginPass(localSamples: localSamples, stream: 0, step: 0) }
}

/// What one pass's exchange cost and found.
public struct ExchangeReport: Sendable, Equatable {
    /// Σ_r B_r: the samples the averaged gradient covers (0: every slice was empty, the gradient
    /// is zero and the step should not update).
    public var globalSamples: Int
    /// Seconds `finish()` waited for communication after backward had ended: exchange time not
    /// hidden behind compute.
    public var exposedSeconds: Double
    /// Seconds the exchange itself took, overlapped or not.
    public var communicationSeconds: Double
    /// Bytes this rank sent: for float32, by the ring-allreduce model (2·(N−1)/N of each
    /// bucket's bytes), the convention bus bandwidth figures use (the library may route them
    /// otherwise); for compressed buckets, the bytes of the two phases.
    public var bytesSent: Int
    /// What a float32 exchange of the same buckets sends (the same ring model): the reference
    /// the compression ratio is taken against.
    public var fullPrecisionBytes: Int
    /// Buckets launched, in the order they were launched.
    public var bucketOrder: [Int]

    public init(globalSamples: Int, exposedSeconds: Double = 0, communicationSeconds: Double = 0, bytesSent: Int = 0,
                fullPrecisionBytes: Int = 0, bucketOrder: [Int] = []) {
        self.globalSamples = globalSamples
        self.exposedSeconds = exposedSeconds
        self.communicationSeconds = communicationSeconds
        self.bytesSent = bytesSent
        self.fullPrecisionBytes = fullPrecisionBytes
        self.bucketOrder = bucketOrder
    }
}
