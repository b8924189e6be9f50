import Config
import QCS
import Safetensors

/// The `__metadata__` strings of an exported weights file: the safetensors convention
/// `format: pt` (so PyTorch tooling accepts the file), our format version, which part of the
/// model it holds, and the model configuration as JSON with the keys of a config file's
/// `model:` section (so a reader can build the matching model before loading).
public struct ExportMetadata: Equatable, Sendable {
    /// The export format this build writes and reads. Version 1: F32/F16/BF16 tensors under
    /// official names, `num_batches_tracked` stored as a float like every other tensor.
    public static let currentFormatVersion = 1

    static let formatKey = "format"
    static let versionKey = "qcs.format_version"
    static let partKey = "qcs.part"
    static let configKey = "qcs.config"

    public var formatVersion: Int
    public var part: OfficialWeights.Part
    public var config: QCSConfig

    public init(part: OfficialWeights.Part, config: QCSConfig, formatVersion: Int = currentFormatVersion) {
        self.part = part
        self.config = config
        self.formatVersion = formatVersion
    }

    var strings: [String: String] {
        [Self.formatKey: "pt", Self.versionKey: String(formatVersion), Self.partKey: part.rawValue,
         Self.configKey: Self.json(config)]
    }

    /// The metadata of `file`, nil when it was not written by `OfficialWeights.export` (no
    /// `qcs.format_version`, as in files converted from PyTorch).
    public init?(of file: SafetensorsFile) throws {
        guard let versionText = file.metadata[Self.versionKey] else { return nil }
        guard let version = Int(versionText) else {
            throw WeightLoadError.badMetadata(path: file.path, key: Self.versionKey, reason: "'\(versionText)' is not an integer")
        }
        guard version <= Self.currentFormatVersion else {
            throw WeightLoadError.unsupportedFormatVersion(path: file.path, found: versionText,
                                                           supported: Self.currentFormatVersion)
        }
        let partText = file.metadata[Self.partKey] ?? ""
        guard let part = OfficialWeights.Part(rawValue: partText) else {
            throw WeightLoadError.badMetadata(path: file.path, key: Self.partKey,
                                              reason: "'\(partText)' is neither 'full' nor 'inference'")
        }
        guard let configText = file.metadata[Self.configKey] else {
            throw WeightLoadError.badMetadata(path: file.path, key: Self.configKey, reason: "absent")
        }
        let config: QCSConfig
        do {
            config = try Self.config(json: configText)
        } catch {
            throw WeightLoadError.badMetadata(path: file.path, key: Self.configKey, reason: "\(error)")
        }
        self.init(part: part, config: config, formatVersion: version)
    }

    /// The model configuration `json(_:)` wrote. JSON is YAML, so the config file reader (which
    /// rejects unknown keys) reads it.
    public static func config(json: String) throws -> QCSConfig {
        try QCSConfig(section: ConfigSection.parse(yaml: json, source: configKey))
    }

    /// `config` as one JSON object, keys as in a config file's `model:` section. Floats are
    /// printed in their shortest exact form, so reading them back gives the same Float.
    public static func json(_ c: QCSConfig) -> String {
        let fields = c.keyedValues
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}
