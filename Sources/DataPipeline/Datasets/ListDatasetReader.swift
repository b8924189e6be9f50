/// Data sets given by `image_name label` list files with 0-based labels: AffectNet (7 or 8
/// classes, the codes of its own annotation) and any `kind: list` set. Names are relative to
/// `image_dir` under the root.
struct ListDatasetReader {
    let config: DatasetConfig

    var classNames: [String] { config.classNames }

    /// Labels whose lines are left out and counted rather than refused.
    var ignoredLabels: Set<Int> {
        var ignored = Set(config.lists.ignoredLabels)
        // AffectNet-7 is AffectNet-8 without Contempt (code 7).
        if config.kind == .affectnet7 { ignored.insert(7) }
        return ignored
    }

    func read(log: inout DatasetReadLog) -> [DatasetSplit: [Sample]] {
        var splits: [DatasetSplit: [Sample]] = [:]
        let ignored = ignoredLabels
        let allowed = "0–\(classNames.count - 1) = \(classNames.joined(separator: ", "))"
            + (ignored.isEmpty ? "" : "; left out: \(ignored.sorted().map(String.init).joined(separator: ", "))")
        let imageDir = config.path(config.lists.imageDir)
        for (split, listName) in config.lists.files.sorted(by: { $0.key < $1.key }) {
            let listFile = config.path(listName)
            guard let lines = TextFileLines.read(listFile, log: &log) else { continue }
            var samples: [Sample] = []
            var firstLine: [String: Int] = [:]
            for (number, text) in lines.lines {
                guard let entry = ListLine(text) else {
                    log.report(.malformedLine(file: listFile, line: number, expected: "'image_name label' (label 0–\(classNames.count - 1))", found: text))
                    continue
                }
                guard let label = Int(entry.label) else {
                    log.report(.unknownLabel(file: listFile, line: number, label: entry.label, allowed: allowed))
                    continue
                }
                if ignored.contains(label) {
                    log.drop(dropReason(label))
                    continue
                }
                guard classNames.indices.contains(label) else {
                    log.report(.unknownLabel(file: listFile, line: number, label: entry.label, allowed: allowed))
                    continue
                }
                if let first = firstLine[entry.name] {
                    log.report(.duplicateImage(image: entry.name, file: listFile, line: number, firstLine: first))
                    continue
                }
                firstLine[entry.name] = number
                let image = DatasetConfig.join(imageDir, entry.name)
                guard log.imageExists(image, listedIn: listFile, line: number) else { continue }
                samples.append(Sample(source: .file(image), label: label))
            }
            splits[split] = samples
            log.requireSamples(splits, in: [split], source: listFile)
        }
        return splits
    }

    private func dropReason(_ label: Int) -> String {
        if config.kind == .affectnet7 && label == 7 { return "AffectNet-7: Contempt (label 7) left out" }
        return "label \(label) left out (ignore_labels)"
    }
}
