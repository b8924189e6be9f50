/// Multiply-add counts of the QCS model, from its configuration. The benchmark turns step
/// times into GFLOP/s with these; docs/MODEL.md quotes about 8.1 G multiply-adds per image for
/// inference and about 40 G forward per quadruplet for training.
public struct ModelCost {
    public let config: QCSConfig

    public init(config: QCSConfig) { self.config = config }

    /// The base path on one image: backbone, token convs, VIT_base.
    public var inferenceMultiplyAdds: Double {
        let c = config
        let w = c.stageWidths
        var s = c.inputSize
        var macs = conv(3, w[0], 3, s)                       // input layer
        var channels = w[0]
        var stageSides: [Int] = []
        for stage in 0..<3 {
            for unit in 0..<c.stageUnits[stage] {
                let cin = unit == 0 ? channels : w[stage]
                macs += conv(cin, w[stage], 3, s)            // res_layer.1 at the input resolution
                if unit == 0 { s /= 2 }
                macs += conv(w[stage], w[stage], 3, s)       // res_layer.3, strided in the first unit
                if unit == 0 && cin != w[stage] { macs += conv(cin, w[stage], 1, s) }
            }
            channels = w[stage]
            stageSides.append(s)
        }
        let d = c.embedDim, g = c.gridSize
        macs += conv(w[0], w[0], 3, stageSides[0] / 2) + conv(w[0], d, 3, g * 2) + conv(d, d, 3, g)
        macs += conv(w[1], w[1], 3, stageSides[1] / 2) + conv(w[1], d, 3, g)
        macs += conv(w[2], w[2], 3, g) + conv(w[2], d, 1, g)
        return macs + vit(depth: c.baseDepth)
    }

    /// Forward multiply-adds of one quadruplet in training: four base paths, three CSA modules
    /// over four branches, four VIT_cross passes.
    public var trainingForwardMultiplyAdds: Double {
        let c = config
        let n = Double(c.tokensPerGroup), d = Double(c.embedDim), hidden = Double(c.mlpRatio) * d
        let csaPerBranch = n * d * 2 * d + 2 * n * d * hidden          // proj and MLP
        let distances = 4 * n * n * d                                   // four distance matrices
        let csa = 3 * (4 * csaPerBranch + distances)
        return 4 * inferenceMultiplyAdds + csa + 4 * vit(depth: c.crossDepth)
    }

    /// A ViT of `depth` blocks over tokens + 1 (the cls), with the SE gate and head.
    func vit(depth: Int) -> Double {
        let c = config
        let t = Double(c.tokens + 1), d = Double(c.embedDim), hidden = Double(c.mlpRatio) * d
        let block = t * d * 3 * d + 2 * t * t * d + t * d * d + 2 * t * d * hidden
        return Double(depth) * block + 2 * d * d + d * Double(c.numClasses)
    }

    func conv(_ cin: Int, _ cout: Int, _ k: Int, _ side: Int) -> Double {
        Double(cin) * Double(cout) * Double(k * k) * Double(side * side)
    }
}
