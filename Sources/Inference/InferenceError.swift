/// Why a model for prediction or evaluation cannot be set up from a config and weights.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
    /// `--weights` names no readable file.
    case weightsNotFound(path: String)
    /// `--checkpoint` names a directory without exported weights; `looked` lists the paths tried.
    case checkpointWeightsNotFound(directory: String, looked: [String])
    /// Tensors the inference path needs were not in the file (or had another shape): running
    /// with them at their random initial values would give meaningless predictions.
    case incompleteInferenceWeights(path: String, missing: [String], report: String)
    /// The file records the model configuration it was exported from, and it is not the config's.
    case configMismatch(path: String, differences: [String])
    /// Weights holding NaN or infinity (a run that diverged): every prediction would be NaN.
    case nonFiniteWeights(path: String, tensors: [String])

    public var description: String {
        switch self {
        case .weightsNotFound(let path):
            return "\(path): no such weights file. Give a .safetensors file exported by qcs train or "
                + "converted with scripts/convert_pth_to_safetensors.py."
        case .checkpointWeightsNotFound(let directory, let looked):
            return "\(directory): no exported weights found (looked for \(looked.joined(separator: ", "))). "
                + "Give the run directory of qcs train, or its weights/ folder, or use --weights FILE."
        case .incompleteInferenceWeights(let path, let missing, let report):
            return "\(path): \(missing.count) tensors of the inference path are missing or of another shape: "
                + "\(Self.listed(missing, limit: 12)).\n\(report)\nThe file does not hold weights for this model; check that the config "
                + "(model: section) is the one the weights were trained with."
        case .nonFiniteWeights(let path, let tensors):
            return "\(path): \(tensors.count) tensors hold NaN or infinite values (\(Self.listed(tensors, limit: 8))); predictions from "
                + "them would be NaN. These weights come from a run that diverged: use an earlier checkpoint or export "
                + "(qcs checkpoint export RUN --safetensors FILE), or retrain with a lower learning rate."
        case .configMismatch(let path, let differences):
            return "\(path) was exported for another model configuration (file vs config: "
                + "\(differences.joined(separator: "; "))). Use the config the weights were trained with (its model: "
                + "section is in the file's metadata: qcs checkpoint inspect, or --set the keys named here)."
        }
    }

    /// The first `limit` names, and how many more there are.
    static func listed(_ names: [String], limit: Int) -> String {
        names.prefix(limit).joined(separator: ", ") + (names.count > limit ? ", … and \(names.count - limit) more" : "")
    }
}
