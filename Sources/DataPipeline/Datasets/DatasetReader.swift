/// Reads the data set a `DatasetConfig` describes: every split's samples and the class names,
/// or `DatasetProblems` listing every problem found (malformed lines, unknown labels, missing
/// images under `on_bad_image: stop`, …), each with its file and line.
public struct DatasetReader: Sendable {
    public let config: DatasetConfig

    public init(config: DatasetConfig) {
        self.config = config
    }

    /// Throws `ConfigError` for an invalid config, `DatasetProblems` for problems in the files.
    public func read() throws -> LabeledDataset {
        try config.validate()
        var log = DatasetReadLog(policy: config.onBadImage, checkFiles: config.checkFiles)
        var classNames = config.classNames
        let splits: [DatasetSplit: [Sample]]
        switch config.kind {
        case .rafdb: splits = RAFDBReader(config: config).read(log: &log)
        case .ferplus: splits = FERPlusReader(config: config).read(log: &log)
        case .affectnet7, .affectnet8, .list: splits = ListDatasetReader(config: config).read(log: &log)
        case .folders:
            let result = FolderDatasetReader(config: config).read(log: &log)
            classNames = result.classNames
            splits = result.splits
        }
        guard log.problems.isEmpty else {
            throw DatasetProblems(dataset: "\(config.kind.rawValue) data set at \(config.root)", problems: log.problems)
        }
        return LabeledDataset(kind: config.kind, classNames: classNames, splits: splits,
                              skipped: log.skipped, dropped: log.dropped)
    }
}
