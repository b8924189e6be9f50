import Autograd
import NN

/// A quadruplet batch: four image sets of B images each (anchor, positive, negative,
/// negative2) and the two label lists (y for anchor/positive, y′ for the negatives).
public struct QuadrupletBatch {
    /// [B, 3, S, S] each, S = `QCSConfig.imageSize`, already normalised.
    public var anchor, positive, negative, negative2: Tensor
    public var labels: [Int]
    public var negativeLabels: [Int]
    /// Each quadruplet's position in its epoch's global plan: what keys its dropout masks
    /// (`DropoutStream`), so they do not depend on the rank that computes it.
    public var positions: [Int]

    /// `positions` default to 0..<B (a batch outside any plan: tests, benchmarks).
    public init(anchor: Tensor, positive: Tensor, negative: Tensor, negative2: Tensor, labels: [Int],
                negativeLabels: [Int], positions: [Int]? = nil) {
        self.anchor = anchor; self.positive = positive; self.negative = negative; self.negative2 = negative2
        self.labels = labels; self.negativeLabels = negativeLabels
        self.positions = positions ?? Array(0..<labels.count)
    }

    public var images: [Tensor] { [anchor, positive, negative, negative2] }
    /// Labels of the four branches in order.
    public var branchLabels: [[Int]] { [labels, labels, negativeLabels, negativeLabels] }
}

/// What one training forward produces: the loss to differentiate and its parts.
public struct TrainingOutput {
    public let loss: Variable
    public let baseLogits: [Variable]
    public let crossLogits: [Variable]
    /// CSA attention weights m, per module (3) per branch (4), each [B, n].
    public let crossWeights: [[Variable]]
    public let baseLosses: [Float]
    public let crossLosses: [Float]
    /// Fraction of the 4·B images whose argmax is right.
    public let baseAccuracy: Float
    public let crossAccuracy: Float
}

/// The QCS model (docs/MODEL.md): the base path (IR-50 stages 1–3 → multi-scale tokens →
/// VIT_base) gives the inference logits; training runs it on the four images of a quadruplet,
/// refines the tokens with three CSA modules and reads T + O with VIT_cross. Every weight is
/// shared by the four branches.
public struct QCSModel {
    public let config: QCSConfig
    let backbone: IR50Backbone
    let embedding: TokenEmbedding
    let vitBase: VisionTransformer
    let crossAttention: [CrossSimilarityAttention]
    let vitCross: VisionTransformer
    /// Number of parameters used at inference (the base path); the rest serve training only.
    public let inferenceParameterCount: Int

    public init(config: QCSConfig, layout: inout ParameterLayout) {
        self.config = config
        backbone = IR50Backbone(config: config, layout: &layout)
        embedding = TokenEmbedding(config: config, layout: &layout)
        vitBase = VisionTransformer(name: "VIT_base", config: config, depth: config.baseDepth, posDropout: 0,
                                    mlpDropout: 0, projectionDropout: 0, layout: &layout)
        inferenceParameterCount = layout.parameterCount
        crossAttention = (1...3).map {
            CrossSimilarityAttention(name: "cross_attention_\($0)", config: config, layout: &layout)
        }
        vitCross = VisionTransformer(name: "VIT_cross", config: config, depth: config.crossDepth,
                                     posDropout: config.crossPosDropout, mlpDropout: config.crossMLPDropout,
                                     projectionDropout: config.crossProjDropout, layout: &layout)
    }

    /// A model and freshly initialised parameters (docs/MODEL.md's initialisation, from `seed`).
    public static func build(_ config: QCSConfig, seed: UInt64 = 0) -> (QCSModel, ParameterStore) {
        var layout = ParameterLayout()
        let model = QCSModel(config: config, layout: &layout)
        return (model, ParameterStore(layout: layout, seed: seed))
    }

    /// The base path. images [B, 3, S, S] → (logits [B, classes], tokens T [B, 3n, D]).
    public func base(_ images: Variable, masks: inout DropoutStream) -> (logits: Variable, tokens: Variable) {
        let x = config.downsample > 1 ? images.nearestDownsample(factor: config.downsample) : images
        return vitBase(embedding(backbone(x)), masks: &masks)
    }

    /// Inference logits [B, classes] (base path only).
    public func inferenceLogits(_ images: Variable) -> Variable {
        var masks = DropoutStream(seed: 0, rows: images.shape[0])  // unused: inference drops nothing
        return base(images, masks: &masks).logits
    }

    /// The eight-term training loss of a quadruplet batch:
    /// L = (1/8) Σ_b [CE(base_b, label_b) + CE(cross_b, label_b)].
    /// Dropout masks come from `DropoutStream(key: dropoutKey, positions: batch.positions)`.
    public func trainingLoss(_ batch: QuadrupletBatch, graph g: Graph, dropoutKey: UInt64) -> TrainingOutput {
        var masks = DropoutStream(key: dropoutKey, positions: batch.positions)
        let labels = batch.branchLabels
        var baseLogits: [Variable] = [], tokens: [Variable] = []
        for images in batch.images {
            let out = base(g.input(images), masks: &masks)
            baseLogits.append(out.logits)
            tokens.append(out.tokens)
        }
        let n = config.tokensPerGroup
        var refined: [[Variable]] = [[], [], [], []]
        var weights: [[Variable]] = []
        for (i, csa) in crossAttention.enumerated() {
            let groups = tokens.map { $0.slice(axis: 1, (i * n)..<((i + 1) * n)) }
            let (outputs, m) = csa(groups, masks: &masks)
            for b in 0..<4 { refined[b].append(outputs[b]) }
            weights.append(m)
        }
        var crossLogits: [Variable] = []
        for b in 0..<4 {
            let o = Variable.concat(refined[b], axis: 1)
            crossLogits.append(vitCross(tokens[b] + o, masks: &masks).logits)
        }
        let baseCE = (0..<4).map { baseLogits[$0].crossEntropy(labels: labels[$0]) }
        let crossCE = (0..<4).map { crossLogits[$0].crossEntropy(labels: labels[$0]) }
        var loss = baseCE[0]
        for term in baseCE.dropFirst() + crossCE { loss = loss + term }
        loss = loss * 0.125
        return TrainingOutput(
            loss: loss, baseLogits: baseLogits, crossLogits: crossLogits, crossWeights: weights,
            baseLosses: baseCE.map { $0.value[0] }, crossLosses: crossCE.map { $0.value[0] },
            baseAccuracy: Self.accuracy(baseLogits, labels), crossAccuracy: Self.accuracy(crossLogits, labels))
    }

    static func accuracy(_ logits: [Variable], _ labels: [[Int]]) -> Float {
        var right = 0, total = 0
        for (l, y) in zip(logits, labels) {
            for (predicted, truth) in zip(l.value.rowArgmax(), y) where predicted == truth { right += 1 }
            total += l.shape[0]
        }
        return Float(right) / Float(max(total, 1))
    }
}
