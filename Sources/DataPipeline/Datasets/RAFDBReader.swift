/// RAF-DB as distributed: `basic/EmoLabel/list_patition_label.txt` holds `train_00001.jpg 5`
/// lines (labels 1–7, the name's prefix gives the split), the images are
/// `basic/Image/aligned/train_00001_aligned.jpg` (or `basic/Image/original/train_00001.jpg`).
struct RAFDBReader {
    let config: DatasetConfig

    static let alignedDir = "basic/Image/aligned"
    static let originalDir = "basic/Image/original"

    func read(log: inout DatasetReadLog) -> [DatasetSplit: [Sample]] {
        let labelFile = config.path(config.rafdb.labelFile)
        guard let lines = TextFileLines.read(labelFile, log: &log) else { return [:] }
        let classes = DatasetKind.rafdb.standardClassNames ?? []
        var splits: [DatasetSplit: [Sample]] = [.train: [], .test: []]
        var firstLine: [String: Int] = [:]
        for (number, text) in lines.lines {
            guard let entry = ListLine(text) else {
                log.report(.malformedLine(file: labelFile, line: number, expected: "'train_00001.jpg 5' (image name, label 1–7)", found: text))
                continue
            }
            guard let label = Int(entry.label), (1...classes.count).contains(label) else {
                log.report(.unknownLabel(file: labelFile, line: number, label: entry.label,
                                         allowed: "1–7 = \(classes.joined(separator: ", "))"))
                continue
            }
            let split: DatasetSplit
            if entry.name.hasPrefix("train_") { split = .train }
            else if entry.name.hasPrefix("test_") { split = .test }
            else {
                log.report(.unknownSplit(file: labelFile, line: number, value: entry.name, allowed: "a name starting train_ or test_"))
                continue
            }
            if let first = firstLine[entry.name] {
                log.report(.duplicateImage(image: entry.name, file: labelFile, line: number, firstLine: first))
                continue
            }
            firstLine[entry.name] = number
            let image = config.path(imagePath(entry.name))
            guard log.imageExists(image, listedIn: labelFile, line: number) else { continue }
            splits[split, default: []].append(Sample(source: .file(image), label: label - 1))
        }
        log.requireSamples(splits, in: [.train, .test], source: labelFile)
        return splits
    }

    /// `train_00001.jpg` → `basic/Image/aligned/train_00001_aligned.jpg`.
    func imagePath(_ name: String) -> String {
        guard config.rafdb.aligned else { return "\(RAFDBReader.originalDir)/\(name)" }
        let stem: Substring, ext: Substring
        if let dot = name.lastIndex(of: ".") { stem = name[..<dot]; ext = name[dot...] } else { stem = name[...]; ext = "" }
        return "\(RAFDBReader.alignedDir)/\(stem)_aligned\(ext)"
    }
}
