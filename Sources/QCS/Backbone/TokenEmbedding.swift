import Autograd
import NN

/// Multi-scale tokens from the three backbone stages (all convs with bias, no activation):
///   q: conv1 3x3 s2 on stage 1, then embed_q = two 3x3 s2 convs → grid
///   k: conv2 3x3 s2 on stage 2, then embed_k = one 3x3 s2 conv   → grid
///   v: conv3 3x3 s2 on stage 3, then embed_v = a 1x1 conv         → grid
/// Each grid is flattened row-major and the groups are concatenated q, k, v.
public struct TokenEmbedding {
    let conv1, conv2, conv3: Conv2d
    let embedQ: [Conv2d]
    let embedK: Conv2d
    let embedV: Conv2d

    public init(config: QCSConfig, layout: inout ParameterLayout) {
        let w = config.stageWidths, d = config.embedDim
        func conv(_ name: String, _ i: Int, _ o: Int, _ k: Int, _ s: Int) -> Conv2d {
            Conv2d(name: name, inChannels: i, outChannels: o, kernel: k, stride: s, padding: k / 2, bias: true,
                   layout: &layout)
        }
        conv1 = conv("conv1", w[0], w[0], 3, 2)
        conv2 = conv("conv2", w[1], w[1], 3, 2)
        conv3 = conv("conv3", w[2], w[2], 3, 2)
        embedQ = [conv("embed_q.0", w[0], d, 3, 2), conv("embed_q.1", d, d, 3, 2)]
        embedK = conv("embed_k.0", w[1], d, 3, 2)
        embedV = conv("embed_v.proj", w[2], d, 1, 1)
    }

    /// Stage outputs → tokens [N, 3·G², D].
    public func callAsFunction(_ stages: [Variable]) -> Variable {
        let q = embedQ[1](embedQ[0](conv1(stages[0])))
        let k = embedK(conv2(stages[1]))
        let v = embedV(conv3(stages[2]))
        return Variable.concat([q, k, v].map(Self.flatten), axis: 1)
    }

    /// [N, D, G, G] → [N, G², D].
    static func flatten(_ x: Variable) -> Variable {
        let n = x.shape[0], d = x.shape[1]
        return x.reshaped([n, d, -1]).transposed(1, 2)
    }
}
