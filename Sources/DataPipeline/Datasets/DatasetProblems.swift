/// Every problem found in one data set, thrown by `DatasetReader.read()` when there is any, so
/// the user fixes them all in one round instead of one per run. `qcs data check` prints
/// `report(limit: nil)` and exits 1.
public struct DatasetProblems: Error, Equatable, CustomStringConvertible {
    /// What was read, e.g. "rafdb data set at /data/RAF-DB".
    public let dataset: String
    /// In the order found: by file, then by line.
    public let problems: [DatasetError]

    public init(dataset: String, problems: [DatasetError]) {
        self.dataset = dataset
        self.problems = problems
    }

    public var count: Int { problems.count }
    public var isEmpty: Bool { problems.isEmpty }

    /// How many problems of each category, most frequent first (ties by name).
    public var countsByCategory: [(category: String, count: Int)] {
        var counts: [String: Int] = [:]
        for problem in problems { counts[problem.category, default: 0] += 1 }
        return counts.map { (category: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.category < $1.category }
    }

    /// A header with the counts, then one problem per line; at most `limit` lines of problems
    /// (nil: all of them).
    public func report(limit: Int? = nil) -> String {
        let counts = countsByCategory.map { "\($0.count) \($0.category)" }.joined(separator: ", ")
        var lines = ["\(count) problem\(count == 1 ? "" : "s") in the \(dataset) (\(counts)):"]
        let shown = limit.map { min($0, count) } ?? count
        lines += problems.prefix(shown).map { "  \($0)" }
        if shown < count {
            lines.append("  … and \(count - shown) more (qcs data check lists them all)")
        }
        return lines.joined(separator: "\n")
    }

    public var description: String { report(limit: 20) }
}
