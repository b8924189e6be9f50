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

    /// The config, with `overrides` (dotted key → value) replacing single keys.
    func load(overrides: [String: String] = [:]) throws -> TrainingConfig {
        try TrainingConfig.load(path: config, dataRoot: dataRoot, overrides: overrides)
    }

    /// The class names in label order: the data set's fixed names, or the configured ones, or
    /// (class folders without `classes:`) the folder names found on disk, else "class N".
    static func classNames(_ config: TrainingConfig) -> [String] {
        var names = config.data.classNames
        if names.isEmpty, let dataset = try? DatasetReader(config: config.data).read() { names = dataset.classNames }
        return (0..<config.model.numClasses).map { $0 < names.count ? names[$0] : "class \($0)" }
    }
}
