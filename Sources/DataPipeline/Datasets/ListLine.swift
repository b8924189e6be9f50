/// One `image_name label` line of a list file (RAF-DB's partition file, AffectNet lists, the
/// official code's lists). The label is the last space-separated field, so names may contain
/// spaces.
struct ListLine {
    let name: String
    let label: String

    /// Nil when the line has no space between a name and a label.
    init?(_ text: String) {
        let scalars = text.unicodeScalars
        guard let gap = scalars.lastIndex(where: { $0 == " " || $0 == "\t" }) else { return nil }
        let name = String(scalars[..<gap]).trimmingWhitespace()
        let label = String(scalars[scalars.index(after: gap)...])
        guard !name.isEmpty, !label.isEmpty else { return nil }
        self.name = name
        self.label = label
    }
}
