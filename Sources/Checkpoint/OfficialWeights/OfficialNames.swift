/// The naming rules of official QCS checkpoints: which file keys are spellings of one of our
/// names, which belong to modules the official code declares but never runs, and which belong
/// to the inference (base) path.
public enum OfficialNames {
    /// Prefix of every IR-50 backbone tensor in a QCS state dict.
    public static let backbonePrefix = "ir_back."

    // MARK: - Renaming file keys to official names

    /// A way a checkpoint may spell an official name differently.
    public enum RenameRule: String, CaseIterable, Sendable {
        /// `module.` in front of every key: a model saved while wrapped in `nn.DataParallel`
        /// or `DistributedDataParallel`. Stripped as often as it repeats (wrappers can nest).
        case dataParallelPrefix = "module. prefix stripped"
        /// A bare IR-50 state dict (`input_layer.*`, `body1.*`, ... as in `ir50.pth`): the keys
        /// the QCS model holds under `ir_back.`. These top-level names never occur in QCS.
        case bareBackbone = "ir_back. prefix added to bare IR-50 names"
        /// `embed_1.*`, `embed_2.*`, `embed_3.*` → `embed_q.*`, `embed_k.*`, `embed_v.*`.
        /// Our assumption: older official checkpoints number the three token embeddings in the
        /// q, k, v order in which the model builds and concatenates them; the shapes (two convs,
        /// one conv, one 1x1 `proj`) are the same under both spellings, so a wrong guess would
        /// show up as shape mismatches, not as a silent mix-up of two embeddings of one shape.
        case oldEmbeddingNames = "embed_1/2/3 renamed to embed_q/k/v"
    }

    static let bareBackboneModules = ["input_layer.", "body1.", "body2.", "body3.", "body4.", "output_layer."]
    static let oldEmbeddingNames = [("embed_1.", "embed_q."), ("embed_2.", "embed_k."), ("embed_3.", "embed_v.")]

    /// The official name a file key stands for, and the rules that were needed to get there
    /// (empty when the key already is an official name).
    public static func officialName(forFileKey key: String) -> (name: String, rules: [RenameRule]) {
        var name = Substring(key)
        var rules: [RenameRule] = []
        while name.hasPrefix("module.") {
            name = name.dropFirst("module.".count)
            if rules.isEmpty { rules.append(.dataParallelPrefix) }
        }
        if bareBackboneModules.contains(where: { name.hasPrefix($0) }) {
            name = Substring(backbonePrefix) + name
            rules.append(.bareBackbone)
        }
        for (old, new) in oldEmbeddingNames where name.hasPrefix(old) {
            name = Substring(new) + name.dropFirst(old.count)
            rules.append(.oldEmbeddingNames)
        }
        return (String(name), rules)
    }

    // MARK: - Modules that exist in official checkpoints but are never run

    /// The official modules whose tensors checkpoints carry although the forward pass never
    /// touches them (docs/MODEL.md): IR-50 stage 4 and output layer, and in both ViTs the
    /// patch embedding, ECA block, `CON1`, `IRLinear1/2` and each block's `conv`.
    public static let neverUsedModules =
        neverUsedBackbone + neverUsedComponents.map { "*." + $0 } + ["*.blocks.N.conv"]

    private static let neverUsedBackbone = ["ir_back.output_layer", "ir_back.body4"]
    /// Module names never used wherever they appear (inside either ViT).
    private static let neverUsedComponents = ["patch_embed", "eca_block", "CON1", "IRLinear1", "IRLinear2"]

    /// Whether official name `name` belongs to one of `neverUsedModules`.
    public static func isNeverUsed(_ name: String) -> Bool {
        if neverUsedBackbone.contains(where: { name.hasPrefix($0 + ".") }) { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        // Inner components only: the last one is the tensor (`weight`, `bias`...).
        for (i, part) in parts.enumerated().dropLast() where i > 0 {
            if neverUsedComponents.contains(String(part)) { return true }
            if part == "conv", i >= 2, parts[i - 2] == "blocks", parts[i - 1].allSatisfy(\.isNumber),
               !parts[i - 1].isEmpty {
                return true
            }
        }
        return false
    }

    // MARK: - The inference part

    /// Top-level modules of the base path, the only ones inference runs.
    public static let inferenceModules = ["ir_back", "conv1", "conv2", "conv3", "embed_q", "embed_k", "embed_v",
                                          "VIT_base"]

    /// Whether official name `name` belongs to the base path (everything but the three CSA
    /// modules and VIT_cross).
    public static func isInference(_ name: String) -> Bool {
        inferenceModules.contains { name.hasPrefix($0 + ".") }
    }
}
