/// How a loader runs in the background: how many threads decode and augment, and how many
/// batches they may prepare ahead of the consumer (the `loader_threads` and `prefetch` keys of a
/// training config, after "0: automatic" has been resolved).
public struct LoaderOptions: Sendable, Equatable {
    /// Decode-and-augment threads (at least 1).
    public var threads: Int
    /// Batches prepared ahead of the one the consumer holds (at least 1). Memory is fixed at
    /// prefetch + 1 batch buffers, reused for the whole epoch.
    public var prefetch: Int

    public init(threads: Int = 2, prefetch: Int = 2) {
        self.threads = threads
        self.prefetch = prefetch
    }

    func validate() throws(LoaderError) {
        guard threads >= 1 else { throw .invalidOptions("loader threads must be at least 1, got \(threads)") }
        guard prefetch >= 1 else { throw .invalidOptions("prefetch must be at least 1 batch, got \(prefetch)") }
    }
}
