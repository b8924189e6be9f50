import Config
import Foundation

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
        let (dataset, problems) = try readAll()
        guard problems.isEmpty else {
            throw DatasetProblems(dataset: "\(config.kind.rawValue) data set at \(config.root)", problems: problems)
        }
        return dataset
    }

    /// The usable samples and every problem of the listing, without stopping at the problems:
    /// what `qcs data check` needs to go on and decode the images that are there. Throws only
    /// for a config that names no data set, or a root that is not a folder (every file of the
    /// listing would be "missing": the one problem is the root).
    public func readAll() throws -> (dataset: LabeledDataset, problems: [DatasetError]) {
        try config.validate()
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: config.root, isDirectory: &isDirectory)
        if !exists || !isDirectory.boolValue {
            let reason = exists ? "a file, not the data set's folder: give --data-root (or data.root) its folder"
                : "no such folder: give --data-root (or data.root) the folder the data set was unpacked into"
            throw DatasetProblems(dataset: "\(config.kind.rawValue) data set at \(config.root)",
                                  problems: [.unreadableFile(file: config.root, reason: reason)])
        }
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
        let dataset = LabeledDataset(kind: config.kind, classNames: classNames, splits: splits,
                                     skipped: log.skipped, dropped: log.dropped)
        return (dataset, log.problems)
    }
}
