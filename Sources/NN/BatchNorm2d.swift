import Autograd

/// Batch normalisation over channels, as PyTorch's `nn.BatchNorm2d`. Declares parameters
/// `<name>.weight` (ones) and `<name>.bias` (zeros), [C], and buffers `<name>.running_mean`
/// (zeros), `<name>.running_var` (ones), [C], and `<name>.num_batches_tracked` (a scalar, 0).
public struct BatchNorm2d {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter
    public let numBatchesTracked: Parameter
    public let eps: Float
    public let momentum: Float

    public init(name: String, channels: Int, layout: inout ParameterLayout, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = layout.parameter("\(name).weight", [channels], .ones)
        bias = layout.parameter("\(name).bias", [channels], .zeros)
        runningMean = layout.buffer("\(name).running_mean", [channels], .zeros)
        runningVar = layout.buffer("\(name).running_var", [channels], .ones)
        numBatchesTracked = layout.buffer("\(name).num_batches_tracked", [], .zeros)
        self.eps = eps
        self.momentum = momentum
    }

    /// x [N, C, H, W] → same shape. In training it uses the batch's statistics, updates the
    /// running ones and counts the batch; in evaluation it uses the running statistics.
    public func callAsFunction(_ x: Variable) -> Variable { normalize(x, adding: nil) }

    /// BN(x) + residual in one pass (`batchNorm2d(adding:)`): the same values as `self(x) + residual`.
    public func callAsFunction(_ x: Variable, adding residual: Variable) -> Variable { normalize(x, adding: residual) }

    private func normalize(_ x: Variable, adding residual: Variable?) -> Variable {
        let g = x.graph
        guard let store = g.parameters else {
            preconditionFailure("BatchNorm2d(\(weight.name)) on a graph without a ParameterStore")
        }
        if g.isTraining { store.value(numBatchesTracked).data[0] += 1 }
        return x.batchNorm2d(weight: g.param(weight), bias: g.param(bias),
                             runningMean: store.value(runningMean), runningVar: store.value(runningVar),
                             momentum: momentum, eps: eps, adding: residual)
    }
}
