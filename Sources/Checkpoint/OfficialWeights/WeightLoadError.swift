import Foundation

/// Why a weights file could not be loaded by official names. An unreadable or corrupt file is
/// reported as the `SafetensorsError` that names it, not as one of these.
public enum WeightLoadError: Error, Equatable {
    /// Strict loading found tensors missing, of the wrong shape, or unknown to the model
    /// (the report lists them by name). Nothing was written to the model.
    case incomplete(WeightLoadReport)
    /// Two file keys name the same official tensor after renaming (e.g. `conv1.weight` and
    /// `module.conv1.weight`), so which one to load is ambiguous.
    case duplicateName(path: String, name: String, fileKeys: [String])
    /// The file was written by a newer qcs with an export format this build does not read.
    case unsupportedFormatVersion(path: String, found: String, supported: Int)
    /// A `qcs.*` metadata entry is present but unreadable.
    case badMetadata(path: String, key: String, reason: String)
}

extension WeightLoadError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .incomplete(report):
            var hint = "Nothing was written. Load with strict: false (--non-strict) to keep the model's own values for "
                + "the tensors not loaded"
            if report.scope == .wholeModel, !report.shapeMismatches.isEmpty || !report.missing.isEmpty {
                hint += ", or load only the backbone (ir_back.*) to start from another model's IR-50"
            }
            return "weights do not match the model:\n\(report)\n\(hint)."
        case let .duplicateName(path, name, keys):
            return "\(path): keys \(keys.joined(separator: ", ")) all name the tensor '\(name)'. "
                + "Keep one of them (convert the checkpoint again with scripts/convert_pth_to_safetensors.py)."
        case let .unsupportedFormatVersion(path, found, supported):
            return "\(path): export format version \(found), this build reads up to \(supported). "
                + "Use a newer qcs, or export the weights again with this one."
        case let .badMetadata(path, key, reason):
            return "\(path): metadata '\(key)' is unreadable (\(reason)). Export the weights again."
        }
    }

    public var errorDescription: String? { description }
}
