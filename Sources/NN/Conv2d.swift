import Autograd

/// A 2-D convolution layer with a square kernel, as PyTorch's `nn.Conv2d`. Declares
/// `<name>.weight` [O, C, k, k] and, with `bias`, `<name>.bias` [O].
public struct Conv2d {
    /// How a freshly built layer is filled.
    public enum Initialization: Sendable {
        /// PyTorch's default: weight U(±1/√fanIn) (kaiming_uniform_ with a = √5), bias the same
        /// bound; fanIn = C·k·k.
        case pytorchDefault
        /// kaiming_normal_(mode: fan_out, relu): weight N(0, 2/fanOut), fanOut = O·k·k; bias 0
        /// (what the ViTs of QCS use).
        case kaimingNormalFanOut
    }

    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    public init(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, layout: inout ParameterLayout, initializer: Initialization = .pytorchDefault) {
        let fanIn = inChannels * kernel * kernel, fanOut = outChannels * kernel * kernel
        let weightInit: Initializer, biasInit: Initializer
        switch initializer {
        case .pytorchDefault:
            weightInit = .kaimingUniform(fanIn: fanIn)
            biasInit = .uniform(bound: Float(1 / Double(fanIn).squareRoot()))
        case .kaimingNormalFanOut:
            weightInit = .kaimingNormalFanOut(fanOut: fanOut)
            biasInit = .zeros
        }
        self.weight = layout.parameter("\(name).weight", [outChannels, inChannels, kernel, kernel], weightInit)
        self.bias = bias ? layout.parameter("\(name).bias", [outChannels], biasInit) : nil
        self.stride = stride
        self.padding = padding
    }

    /// x [N, C, H, W] → [N, O, Ho, Wo].
    public func callAsFunction(_ x: Variable) -> Variable {
        let g = x.graph
        return x.conv2d(weight: g.param(weight), bias: bias.map { g.param($0) }, stride: stride, padding: padding)
    }
}
