import Autograd
import NN

/// The gate on the cls vector before the head: c ⊙ sigmoid(linear2(ReLU(linear1(c)))).
public struct SqueezeExcitationGate {
    let linear1: Linear
    let linear2: Linear

    public init(name: String, features: Int, layout: inout ParameterLayout) {
        linear1 = Linear(name: "\(name).linear1", inFeatures: features, outFeatures: features, layout: &layout,
                         weightInit: Linear.vitWeightInit, biasInit: Linear.vitBiasInit)
        linear2 = Linear(name: "\(name).linear2", inFeatures: features, outFeatures: features, layout: &layout,
                         weightInit: Linear.vitWeightInit, biasInit: Linear.vitBiasInit)
    }

    /// c [B, D] → [B, D].
    public func callAsFunction(_ c: Variable) -> Variable {
        c * linear2(linear1(c).relu()).sigmoid()
    }
}
