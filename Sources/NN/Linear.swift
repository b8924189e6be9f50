import Autograd

/// A fully connected layer, `torch.nn.Linear`: y = x·weightᵀ + bias over the last dimension.
/// Declares `<name>.weight` [Out, In] and, with `bias`, `<name>.bias` [Out].
public struct Linear {
    public let weight: Parameter
    public let bias: Parameter?

    /// - Parameters:
    ///   - weightInit: nil gives PyTorch's default, Kaiming-uniform (a = √5) = U(±1/√In).
    ///   - biasInit: nil gives PyTorch's default, U(±1/√In).
    ///   Inside the ViTs docs/MODEL.md asks for `Linear.vitWeightInit` and `Linear.vitBiasInit`.
    public init(name: String, inFeatures: Int, outFeatures: Int, bias: Bool = true,
                layout: inout ParameterLayout, weightInit: Initializer? = nil, biasInit: Initializer? = nil) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear \(name): sizes must be positive")
        weight = layout.parameter("\(name).weight", [outFeatures, inFeatures],
                                  weightInit ?? .kaimingUniform(fanIn: inFeatures))
        self.bias = bias
            ? layout.parameter("\(name).bias", [outFeatures],
                               biasInit ?? .uniform(bound: 1 / Float(inFeatures).squareRoot()))
            : nil
    }

    /// timm's ViT initialisation of Linear weights (`trunc_normal_(std=.01)` in QCS).
    public static let vitWeightInit = Initializer.truncatedNormal(std: 0.01)
    /// timm's ViT initialisation of Linear biases.
    public static let vitBiasInit = Initializer.zeros

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// x [..., In] → [..., Out].
    public func callAsFunction(_ x: Variable) -> Variable {
        let g = x.graph
        return x.linear(weight: g.param(weight), bias: bias.map { g.param($0) })
    }

    /// GELU(self(x)), with a bias as one op (`linearGELU`): the bias and the activation in one
    /// pass over the product's output, and one pass before the products in backward.
    public func applyingGELU(_ x: Variable) -> Variable {
        guard let bias else { return self(x).gelu() }
        let g = x.graph
        return x.linearGELU(weight: g.param(weight), bias: g.param(bias))
    }
}
