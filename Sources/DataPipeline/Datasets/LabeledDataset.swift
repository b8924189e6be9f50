import Imaging
/// A data set read from disk: its classes and, per split, the labelled samples. Holds no pixels
/// except FERPlus's, which come as text in its CSV and are kept as grey bytes.
public struct LabeledDataset: Sendable {
    public let kind: DatasetKind
    /// Class names in label order.
    public let classNames: [String]
    public let splits: [DatasetSplit: [Sample]]
    /// Images left out under `on_bad_image: skip` because they were missing (with list file and line).
    public let skipped: [DatasetError]
    /// Rows left out by the data set's own rules, by reason ("FERPlus: no majority": 812).
    public let dropped: [String: Int]

    public init(kind: DatasetKind, classNames: [String], splits: [DatasetSplit: [Sample]],
                skipped: [DatasetError] = [], dropped: [String: Int] = [:]) {
        self.kind = kind
        self.classNames = classNames
        self.splits = splits
        self.skipped = skipped
        self.dropped = dropped
    }

    /// The samples of `split` (empty if the data set has no such split).
    public func samples(_ split: DatasetSplit) -> [Sample] { splits[split] ?? [] }

    /// Images per class in `split`, indexed by label.
    public func classCounts(_ split: DatasetSplit) -> [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for sample in samples(split) where counts.indices.contains(sample.label) { counts[sample.label] += 1 }
        return counts
    }

    /// Decodes every image of the given splits and returns one `unreadableImage` problem per image
    /// that fails (what `qcs data check --images` reports); slow: it reads the whole data set.
    public func unreadableImages(in splits: [DatasetSplit] = DatasetSplit.allCases,
                                 decoder: ImageDecoder = ImageDecoder()) -> [DatasetError] {
        var problems: [DatasetError] = []
        for split in splits {
            for sample in samples(split) {
                do { _ = try sample.source.load(with: decoder) } catch {
                    problems.append(.unreadableImage(image: sample.source.description,
                                                     reason: (error as? ImageCodecError)?.problem ?? "\(error)"))
                }
            }
        }
        return problems
    }
}
