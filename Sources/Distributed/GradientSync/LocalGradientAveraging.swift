import Autograd

/// The world-of-one `GradientSynchronizer`: the local sum over B samples becomes the mean.
public final class LocalGradientAveraging: GradientSynchronizer {
    private let store: ParameterStore
    private var localSamples = 0

    public init(store: ParameterStore) { self.store = store }

    public func beginPass(localSamples: Int, stream: Int, step: Int) throws { self.localSamples = localSamples }

    public func gradientIsFinal(_ parameter: Parameter) {}

    public func finish() throws -> ExchangeReport {
        if localSamples > 0 {
            let g = store.gradients.data, scale = 1 / Float(localSamples)
            for i in 0..<store.gradients.count { g[i] *= scale }
        }
        return ExchangeReport(globalSamples: localSamples)
    }
}
