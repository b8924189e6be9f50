/// A small text file (a list file) as numbered lines: UTF-8, a leading byte-order mark removed,
/// `\r\n` or `\n` endings, blank lines left out.
struct TextFileLines {
    let file: String
    /// (1-based line number, text without the line ending and surrounding spaces).
    let lines: [(number: Int, text: String)]

    init(file: String, bytes: [UInt8]) {
        self.file = file
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var numbered: [(number: Int, text: String)] = []
        // Split on "\n" only: Swift treats "\r\n" as one Character, so split by scalar.
        for (i, raw) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(String.UnicodeScalarView(raw)).trimmingWhitespace()
            if !line.isEmpty { numbered.append((i + 1, line)) }
        }
        lines = numbered
    }

    /// Reads `file`, reporting an unreadable file to `log` (nil then).
    static func read(_ file: String, log: inout DatasetReadLog) -> TextFileLines? {
        do {
            return TextFileLines(file: file, bytes: try FileBytes.load(file))
        } catch let error as ImageCodecError {
            if case .unreadableFile(_, let reason) = error { log.report(.unreadableFile(file: file, reason: reason)) }
            else { log.report(.unreadableFile(file: file, reason: error.problem)) }
            return nil
        } catch {
            log.report(.unreadableFile(file: file, reason: "\(error)"))
            return nil
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line-ending characters.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
