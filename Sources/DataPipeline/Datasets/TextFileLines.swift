import Imaging
import Foundation

/// A small text file (a list file) as numbered lines: UTF-8, a leading byte-order mark removed,
/// `\r\n` or `\n` endings, blank lines left out. A line that is not UTF-8 is left out too and
/// listed in `notUTF8`: decoded with replacement characters it would name a file that is not
/// there, and the reader would blame the image instead of the line.
struct TextFileLines {
    let file: String
    /// (1-based line number, text without the line ending and surrounding spaces).
    let lines: [(number: Int, text: String)]
    /// Lines that are not UTF-8: their number and the 1-based column of the first bad byte.
    let notUTF8: [(number: Int, column: Int, byte: UInt8)]

    init(file: String, bytes: [UInt8]) {
        self.file = file
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var numbered: [(number: Int, text: String)] = []
        var bad: [(number: Int, column: Int, byte: UInt8)] = []
        for (i, raw) in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard let text = String(bytes: raw, encoding: .utf8) else {
                let column = Self.firstInvalidByte(raw)
                bad.append((i + 1, column + 1, raw[raw.startIndex + column]))
                continue
            }
            let line = text.trimmingWhitespace()
            if !line.isEmpty { numbered.append((i + 1, line)) }
        }
        lines = numbered
        notUTF8 = bad
    }

    /// The offset of the first byte at which `bytes` stops being UTF-8.
    static func firstInvalidByte(_ bytes: ArraySlice<UInt8>) -> Int {
        var valid = 0
        for end in stride(from: bytes.count, through: 0, by: -1)
        where String(bytes: bytes.prefix(end), encoding: .utf8) != nil {
            valid = end
            break
        }
        return min(valid, bytes.count - 1)
    }

    /// Reads `file`, reporting an unreadable file to `log` (nil then).
    static func read(_ file: String, log: inout DatasetReadLog) -> TextFileLines? {
        do {
            let text = TextFileLines(file: file, bytes: try FileBytes.load(file))
            for line in text.notUTF8 {
                log.report(.malformedLine(file: file, line: line.number, expected: "UTF-8 text",
                                          found: String(format: "byte 0x%02X at column %d", line.byte, line.column)))
            }
            return text
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
