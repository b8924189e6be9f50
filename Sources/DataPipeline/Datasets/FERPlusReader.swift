import Imaging
/// FERPlus: the pixels of FER2013's `fer2013.csv` (`emotion,pixels,Usage`; 48x48 grey values as
/// text) with the votes of `fer2013new.csv` (`Usage,Image name,` then ten vote columns). The two
/// files describe the same images row by row. Each image's label is its majority emotion
/// (`FERPlusVotes.outcome`); rows without one are dropped and counted. Usage gives the split:
/// Training → train, PublicTest → validation, PrivateTest → test.
struct FERPlusReader {
    let config: DatasetConfig

    static let side = 48
    static let usageSplits: [String: DatasetSplit] = ["Training": .train, "PublicTest": .validation, "PrivateTest": .test]

    func read(log: inout DatasetReadLog) -> [DatasetSplit: [Sample]] {
        let pixelFile = config.path(config.ferplus.fer2013CSV)
        let voteFile = config.path(config.ferplus.ferplusCSV)
        let pixelCSV = load(pixelFile, log: &log)
        let voteCSV = load(voteFile, log: &log)
        guard let pixelCSV, let voteCSV,
              let pixelColumns = columns(["pixels", "usage"], in: pixelCSV, file: pixelFile, log: &log),
              let voteColumns = columns(["usage"] + FERPlusVotes.columns.map { $0.lowercased() }, in: voteCSV,
                                        file: voteFile, log: &log)
        else { return [:] }

        let pixelRows = pixelCSV.rows.count - 1, voteRows = voteCSV.rows.count - 1
        guard pixelRows == voteRows else {
            log.report(.rowCountMismatch(file: voteFile, rows: voteRows, otherFile: pixelFile, otherRows: pixelRows))
            return [:]
        }
        var splits: [DatasetSplit: [Sample]] = [.train: [], .validation: [], .test: []]
        let pixelCount = FERPlusReader.side * FERPlusReader.side
        for row in 1..<pixelCSV.rows.count {
            let (pixelLine, pixelFields) = pixelCSV.rows[row]
            let (voteLine, voteFields) = voteCSV.rows[row]
            let counts = voteColumns.dropFirst().map { field($0, of: voteFields).flatMap(voteCSV.integer) }
            guard let voteUsage = field(voteColumns[0], of: voteFields), counts.allSatisfy({ $0 != nil }),
                  let votes = FERPlusVotes(counts.compactMap { $0 }) else {
                log.report(.malformedLine(file: voteFile, line: voteLine,
                                          expected: "Usage, image name and ten vote counts (whole numbers)",
                                          found: voteCSV.text(ofRow: row)))
                continue
            }
            let usage = voteCSV.string(voteUsage).trimmingWhitespace()
            guard let split = FERPlusReader.usageSplits[usage] else {
                log.report(.unknownSplit(file: voteFile, line: voteLine, value: usage, allowed: "Training, PublicTest or PrivateTest"))
                continue
            }
            guard let pixelUsage = field(pixelColumns[1], of: pixelFields) else {
                log.report(.malformedLine(file: pixelFile, line: pixelLine, expected: "emotion, pixels and Usage",
                                          found: pixelCSV.text(ofRow: row)))
                continue
            }
            guard pixelCSV.string(pixelUsage).trimmingWhitespace() == usage else {
                log.report(.splitMismatch(file: voteFile, line: voteLine, value: usage, otherFile: "\(pixelFile):\(pixelLine)",
                                          otherValue: pixelCSV.string(pixelUsage)))
                continue
            }
            let label: Int
            switch votes.outcome {
            case .label(let l): label = l
            case .unknown: log.drop("FERPlus: majority unknown"); continue
            case .notAFace: log.drop("FERPlus: majority not a face (NF)"); continue
            case .noMajority: log.drop("FERPlus: no majority"); continue
            case .noVotes: log.drop("FERPlus: no votes"); continue
            }
            guard let range = field(pixelColumns[0], of: pixelFields),
                  let grey = pixelCSV.bytesList(range, expected: pixelCount) else {
                log.report(.malformedLine(file: pixelFile, line: pixelLine,
                                          expected: "\(pixelCount) space-separated pixel values 0–255 (48x48)",
                                          found: pixelCSV.text(ofRow: row)))
                continue
            }
            let source = ImageSource.grey(width: FERPlusReader.side, height: FERPlusReader.side, pixels: grey,
                                          origin: "\(pixelFile):\(pixelLine)")
            splits[split, default: []].append(Sample(source: source, label: label))
        }
        log.requireSamples(splits, in: [.train, .validation, .test], source: voteFile)
        return splits
    }

    private func load(_ file: String, log: inout DatasetReadLog) -> CSVRows? {
        do {
            return CSVRows(bytes: try FileBytes.load(file))
        } catch {
            let reason = (error as? ImageCodecError).map { error -> String in
                if case .unreadableFile(_, let reason) = error { return reason }
                return error.problem
            } ?? "\(error)"
            log.report(.unreadableFile(file: file, reason: reason))
            return nil
        }
    }

    /// Field indices of the `wanted` header names (matched ignoring case), or nil after reporting
    /// the header as malformed.
    private func columns(_ wanted: [String], in csv: CSVRows, file: String, log: inout DatasetReadLog) -> [Int]? {
        guard let header = csv.rows.first else {
            log.report(.malformedLine(file: file, line: 1, expected: "a header line", found: ""))
            return nil
        }
        let names = header.fields.map { csv.string($0).trimmingWhitespace().lowercased() }
        let indices = wanted.map { names.firstIndex(of: $0) }
        guard indices.allSatisfy({ $0 != nil }) else {
            log.report(.malformedLine(file: file, line: header.line,
                                      expected: "a header naming the columns \(wanted.joined(separator: ", "))",
                                      found: csv.text(ofRow: 0)))
            return nil
        }
        return indices.compactMap { $0 }
    }

    private func field(_ index: Int, of fields: [Range<Int>]) -> Range<Int>? {
        fields.indices.contains(index) ? fields[index] : nil
    }
}
