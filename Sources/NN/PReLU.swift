import Autograd

/// Parametric ReLU with one slope per channel, as PyTorch's `nn.PReLU(num_parameters: C)`.
/// Declares `<name>.weight` [C], initialised to 0.25.
public struct PReLU {
    public let weight: Parameter

    public init(name: String, channels: Int, layout: inout ParameterLayout) {
        weight = layout.parameter("\(name).weight", [channels], .constant(0.25))
    }

    /// x [N, C, …] → same shape.
    public func callAsFunction(_ x: Variable) -> Variable {
        x.prelu(slopes: x.graph.param(weight))
    }
}
