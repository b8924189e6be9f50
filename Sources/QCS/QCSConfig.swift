import Config

/// The architecture of a QCS model. `paper` is docs/MODEL.md's model exactly; `tiny` and `mid` are the same
/// architecture at sizes small enough for tests. Read from the `model:` section of a config file,
/// where `preset:` picks the starting point and every other key overrides one field.
public struct QCSConfig: Sendable, Equatable {
    /// Side of the images the loader produces (224 in the paper).
    public var imageSize = 224
    /// The network's first act: nearest downsample by this factor (224 → 112).
    public var downsample = 2
    /// IR-50 stages 1–3: output channels and unit counts.
    public var stageWidths = [64, 128, 256]
    public var stageUnits = [3, 4, 14]
    public var embedDim = 768
    public var heads = 8
    public var baseDepth = 2
    public var crossDepth = 1
    public var mlpRatio = 4
    public var numClasses = 7
    /// Dropout rates inside VIT_cross (FERPlus 0.2 on all three, AffectNet-7 0.4 on pos and MLP).
    public var crossPosDropout: Float = 0
    public var crossMLPDropout: Float = 0
    public var crossProjDropout: Float = 0
    public var vitLayerNormEps: Float = 1e-6
    public var csaLayerNormEps: Float = 1e-5

    public init() {}

    public static let paper = QCSConfig()

    public static let tiny = QCSConfig.scaledDown(imageSize: 64, stageWidths: [8, 16, 32], stageUnits: [1, 1, 2],
                                                  embedDim: 32, heads: 2)
    public static let mid = QCSConfig.scaledDown(imageSize: 96, stageWidths: [16, 32, 64], stageUnits: [2, 2, 3],
                                                 embedDim: 64, heads: 4)

    /// The paper's architecture at another size: every other field as in `paper`.
    static func scaledDown(imageSize: Int, stageWidths: [Int], stageUnits: [Int], embedDim: Int, heads: Int) -> QCSConfig {
        var c = QCSConfig()
        c.imageSize = imageSize
        c.stageWidths = stageWidths
        c.stageUnits = stageUnits
        c.embedDim = embedDim
        c.heads = heads
        return c
    }

    public static let presets: [String: QCSConfig] = ["paper": paper, "tiny": tiny, "mid": mid]

    /// Side of the network input after the nearest downsample (112 in the paper).
    public var inputSize: Int { imageSize / downsample }
    /// Side of each token grid (7 in the paper): four stride-2 steps from the input.
    public var gridSize: Int { inputSize / 16 }
    public var tokensPerGroup: Int { gridSize * gridSize }
    /// q, k and v groups (147 in the paper).
    public var tokens: Int { 3 * tokensPerGroup }

    /// Checks every field; the error names the first offending key.
    public func validate() throws {
        func require(_ ok: Bool, _ key: String, _ message: String) throws {
            if !ok { throw ConfigError(key: "model.\(key)", message) }
        }
        // Upper bounds: beyond them a model does not fit a node's memory (activations grow with
        // the square of image_size and linearly with the widths), so a typo fails here, not after
        // the process has grown until the kernel kills it.
        try require(downsample >= 1 && downsample <= 16, "downsample", "must be between 1 and 16, got \(downsample)")
        try require(imageSize > 0 && imageSize % downsample == 0, "image_size",
                    "must be a positive multiple of downsample (\(downsample)), got \(imageSize)")
        try require(imageSize <= 1024, "image_size",
                    "must be at most 1024 pixels (the paper uses 224; activations grow with its square), got \(imageSize)")
        try require(inputSize % 16 == 0 && inputSize >= 16, "image_size",
                    "image_size / downsample must be a multiple of 16 (four stride-2 steps down to the token grid), got \(inputSize)")
        try require(stageWidths.count == 3 && stageWidths.allSatisfy { $0 > 0 && $0 <= 2048 }, "stage_widths",
                    "needs three widths from 1 to 2048 (IR-50 stages 1–3; the paper's are [64, 128, 256]), got \(stageWidths)")
        try require(stageUnits.count == 3 && stageUnits.allSatisfy { $0 > 0 && $0 <= 64 }, "stage_units",
                    "needs three unit counts from 1 to 64 (the paper's are [3, 4, 14]), got \(stageUnits)")
        try require(embedDim > 0 && embedDim <= 8192, "embed_dim", "must be between 1 and 8192 (the paper's is 768), got \(embedDim)")
        try require(heads > 0 && embedDim % heads == 0, "heads", "must divide embed_dim (\(embedDim)), got \(heads)")
        try require(baseDepth >= 1 && baseDepth <= 64, "base_depth", "must be between 1 and 64, got \(baseDepth)")
        try require(crossDepth >= 1 && crossDepth <= 64, "cross_depth", "must be between 1 and 64, got \(crossDepth)")
        try require(mlpRatio >= 1 && mlpRatio <= 16, "mlp_ratio", "must be between 1 and 16, got \(mlpRatio)")
        try require(numClasses >= 2 && numClasses <= 100_000, "num_classes", "must be between 2 and 100000, got \(numClasses)")
        for (key, p) in [("cross_pos_dropout", crossPosDropout), ("cross_mlp_dropout", crossMLPDropout),
                         ("cross_proj_dropout", crossProjDropout)] {
            try require(p >= 0 && p < 1, key, "must be in [0, 1), got \(p)")
        }
        try require(vitLayerNormEps > 0, "vit_ln_eps", "must be positive")
        try require(csaLayerNormEps > 0, "csa_ln_eps", "must be positive")
    }

    /// Every field under its key of a `model:` section, as a config file would write it (floats
    /// in their shortest exact form, so reading them back gives the same Float).
    public var keyedValues: [(key: String, value: String)] {
        func list(_ v: [Int]) -> String { "[" + v.map(String.init).joined(separator: ", ") + "]" }
        func number(_ v: Float) -> String { "\(v)" }
        return [
            ("image_size", "\(imageSize)"), ("downsample", "\(downsample)"),
            ("stage_widths", list(stageWidths)), ("stage_units", list(stageUnits)),
            ("embed_dim", "\(embedDim)"), ("heads", "\(heads)"), ("base_depth", "\(baseDepth)"),
            ("cross_depth", "\(crossDepth)"), ("mlp_ratio", "\(mlpRatio)"), ("num_classes", "\(numClasses)"),
            ("cross_pos_dropout", number(crossPosDropout)), ("cross_mlp_dropout", number(crossMLPDropout)),
            ("cross_proj_dropout", number(crossProjDropout)), ("vit_ln_eps", number(vitLayerNormEps)),
            ("csa_ln_eps", number(csaLayerNormEps)),
        ]
    }

    /// Reads a `model:` section: `preset` first, then overrides; unknown keys are errors.
    public init(section s: ConfigSection) throws {
        self = QCSConfig.presets[try s.word("preset", default: "paper", among: QCSConfig.presets.keys.sorted(), "preset")]!
        imageSize = try s.int("image_size", default: imageSize)
        downsample = try s.int("downsample", default: downsample)
        stageWidths = try s.ints("stage_widths", default: stageWidths)
        stageUnits = try s.ints("stage_units", default: stageUnits)
        embedDim = try s.int("embed_dim", default: embedDim)
        heads = try s.int("heads", default: heads)
        baseDepth = try s.int("base_depth", default: baseDepth)
        crossDepth = try s.int("cross_depth", default: crossDepth)
        mlpRatio = try s.int("mlp_ratio", default: mlpRatio)
        numClasses = try s.int("num_classes", default: numClasses)
        crossPosDropout = try s.float("cross_pos_dropout", default: crossPosDropout)
        crossMLPDropout = try s.float("cross_mlp_dropout", default: crossMLPDropout)
        crossProjDropout = try s.float("cross_proj_dropout", default: crossProjDropout)
        vitLayerNormEps = try s.float("vit_ln_eps", default: vitLayerNormEps)
        csaLayerNormEps = try s.float("csa_ln_eps", default: csaLayerNormEps)
        try s.finish()
        try validate()
    }
}
