import ArgumentParser
import DataPipeline
import Trainer

/// `--config` and `--data-root`: which run configuration to read, and where its data set is
/// when not at the config's `data.root`.
struct ConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The run's config file (model, data, optim, train sections).",
                               discussion: "See Configs/README.md; Configs/synthetic.yaml reads `qcs synth` output.",
                               valueName: "file.yaml"))
    var config: String

    @Option(help: ArgumentHelp("Read the data set from this folder instead of the config's data.root.",
                               valueName: "dir"))
    var dataRoot: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Replace one config key, as if the file said so (repeatable).",
                               discussion: "Dotted names, YAML values: --set optim.lr=1e-5 --set model.stage_widths=[8,16,32].",
                               valueName: "key=value"))
    var settings: [String] = []

    /// `--set` as dotted key → value text; a malformed one is a usage error naming it.
    func settingOverrides() throws -> [String: String] { try Self.overrides(settings) }

    /// `key=value` settings as dotted key → value text.
    static func overrides(_ settings: [String]) throws -> [String: String] {
        var overrides: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--set \(setting): write key=value with a dotted key, e.g. --set optim.lr=1e-5")
            }
            overrides[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        return overrides
    }

    func validate() throws { _ = try settingOverrides() }

    /// A command's own option that sets a config key (`--epochs` sets `train.epochs`).
    struct KeyOption {
        let flag: String, key: String, value: String?
    }

    /// The config, with `--set` and the command's own options replacing single keys. An option
    /// and a `--set` of the same key that disagree are refused: neither silently wins.
    func load(_ options: [KeyOption] = []) throws -> TrainingConfig {
        var merged = try settingOverrides()
        for option in options {
            guard let value = option.value else { continue }
            if let set = merged[option.key], set != value {
                throw ValidationError("\(option.flag) \(value) and --set \(option.key)=\(set) both set \(option.key): give one of them")
            }
            merged[option.key] = value
        }
        return try TrainingConfig.load(path: config, dataRoot: dataRoot, overrides: merged)
    }

    /// The class names in label order: the data set's fixed names, or the configured ones, or
    /// (class folders without `classes:`) the folder names found on disk, else "class N".
    static func classNames(_ config: TrainingConfig) -> [String] {
        var names = config.data.classNames
        if names.isEmpty, let dataset = try? DatasetReader(config: config.data).read() { names = dataset.classNames }
        return (0..<config.model.numClasses).map { $0 < names.count ? names[$0] : "class \($0)" }
    }
}
