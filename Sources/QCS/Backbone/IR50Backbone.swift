import Autograd
import NN

/// The first three stages of IR-50 (`ir_back.*`): the input layer (conv3x3 3→w₁ → BN → PReLU)
/// and bodies 1–3, each starting with a stride-2 unit. All three stage outputs feed the tokens.
/// Stage 4 and the output layer of the checkpoint are never run, so they are not built.
public struct IR50Backbone {
    let inputConv: Conv2d
    let inputBN: BatchNorm2d
    let inputPReLU: PReLU
    let stages: [[IRBlock]]

    public init(config: QCSConfig, layout: inout ParameterLayout) {
        let w = config.stageWidths
        inputConv = Conv2d(name: "ir_back.input_layer.0", inChannels: 3, outChannels: w[0], kernel: 3, stride: 1,
                           padding: 1, bias: false, layout: &layout)
        inputBN = BatchNorm2d(name: "ir_back.input_layer.1", channels: w[0], layout: &layout)
        inputPReLU = PReLU(name: "ir_back.input_layer.2", channels: w[0], layout: &layout)
        var stages: [[IRBlock]] = []
        var channels = w[0]
        for s in 0..<3 {
            stages.append((0..<config.stageUnits[s]).map { u in
                let block = IRBlock(name: "ir_back.body\(s + 1).\(u)", inChannels: u == 0 ? channels : w[s],
                                    outChannels: w[s], stride: u == 0 ? 2 : 1, layout: &layout)
                return block
            })
            channels = w[s]
        }
        self.stages = stages
    }

    /// x [N, 3, S, S] (S = input size) → the three stage outputs
    /// [N, w₁, S/2, S/2], [N, w₂, S/4, S/4], [N, w₃, S/8, S/8].
    public func callAsFunction(_ x: Variable) -> [Variable] {
        var h = inputPReLU(inputBN(inputConv(x)))
        var outputs: [Variable] = []
        for stage in stages {
            for block in stage { h = block(h) }
            outputs.append(h)
        }
        return outputs
    }
}
