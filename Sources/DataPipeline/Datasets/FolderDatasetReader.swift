import Foundation

/// One folder per class under each split folder: `root/train/Happy/0001.jpg`. Classes are the
/// configured names in that order, or else every class folder name sorted (as torchvision's
/// ImageFolder does). Files other than .jpg, .jpeg and .png, and hidden files, are ignored.
struct FolderDatasetReader {
    let config: DatasetConfig

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Reads the folders; the class names are decided here when the config gives none.
    func read(log: inout DatasetReadLog) -> (classNames: [String], splits: [DatasetSplit: [Sample]]) {
        let fileManager = FileManager.default
        var classFolders: [DatasetSplit: [String]] = [:]
        for (split, dir) in config.folders.splitDirs.sorted(by: { $0.key < $1.key }) {
            let splitDir = config.path(dir)
            guard let names = listDirectory(splitDir, log: &log) else { continue }
            // Hidden folders (.ipynb_checkpoints, .git) are never classes.
            classFolders[split] = names.filter { name in
                guard !name.hasPrefix(".") else { return false }
                var isDirectory: ObjCBool = false
                return fileManager.fileExists(atPath: "\(splitDir)/\(name)", isDirectory: &isDirectory) && isDirectory.boolValue
            }
        }
        let found = Set(classFolders.values.joined())
        var classNames = config.folders.classNames
        if classNames.isEmpty {
            classNames = found.sorted()
        } else {
            for name in classNames where !found.contains(name) {
                log.report(.missingClassFolder(className: name, root: config.root))
            }
        }
        let labels = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($0.element, $0.offset) })

        var splits: [DatasetSplit: [Sample]] = [:]
        for (split, folders) in classFolders.sorted(by: { $0.key < $1.key }) {
            let splitDir = config.path(config.folders.splitDirs[split] ?? "")
            var samples: [Sample] = []
            for folder in folders.sorted() {
                guard let label = labels[folder] else {
                    log.report(.unknownClassFolder(folder: "\(splitDir)/\(folder)", allowed: classNames))
                    continue
                }
                let classDir = "\(splitDir)/\(folder)"
                guard let files = listDirectory(classDir, log: &log) else { continue }
                for file in files.sorted() where isImageName(file) {
                    samples.append(Sample(source: .file("\(classDir)/\(file)"), label: label))
                }
            }
            splits[split] = samples
            log.requireSamples(splits, in: [split], source: splitDir)
        }
        return (classNames, splits)
    }

    private func isImageName(_ name: String) -> Bool {
        guard !name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return false }
        return FolderDatasetReader.imageExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    private func listDirectory(_ path: String, log: inout DatasetReadLog) -> [String]? {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            log.report(.unreadableFile(file: path, reason: "not a readable folder"))
            return nil
        }
    }
}
