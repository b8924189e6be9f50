/// A comma-separated file held as bytes, cut into rows of field ranges without copying: FER2013's
/// CSV is 300 MB, its pixel field alone 7 KB a row. Fields may be double-quoted (quotes removed,
/// `""` left as is, commas and line breaks inside kept); a leading byte-order mark is skipped;
/// `\r\n` and `\n` end rows; blank lines are left out.
struct CSVRows {
    let bytes: [UInt8]
    /// Each row's 1-based line number (where it starts) and its fields as byte ranges.
    private(set) var rows: [(line: Int, fields: [Range<Int>])] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var fields: [Range<Int>] = []
        var rowLine = 1
        while i < bytes.count {
            // One field.
            var range: Range<Int>
            if bytes[i] == quote {
                let start = i + 1
                var j = start
                while j < bytes.count {
                    if bytes[j] == quote {
                        if j + 1 < bytes.count && bytes[j + 1] == quote { j += 2; continue }
                        break
                    }
                    if bytes[j] == newline { line += 1 }
                    j += 1
                }
                range = start..<min(j, bytes.count)
                i = min(j + 1, bytes.count)
                while i < bytes.count && bytes[i] != comma && bytes[i] != newline { i += 1 }
            } else {
                let start = i
                while i < bytes.count && bytes[i] != comma && bytes[i] != newline { i += 1 }
                range = start..<i
            }
            if range.upperBound > range.lowerBound && bytes[range.upperBound - 1] == cr && (i >= bytes.count || bytes[i] == newline) {
                range = range.lowerBound..<(range.upperBound - 1)
            }
            fields.append(range)
            if i < bytes.count && bytes[i] == comma {
                i += 1
                // A comma at the very end of the data still ends an empty last field.
                if i == bytes.count { fields.append(i..<i) }
                continue
            }
            // End of row.
            let blank = fields.count == 1 && fields[0].isEmpty
            if !blank { rows.append((rowLine, fields)) }
            fields = []
            i += 1
            line += 1
            rowLine = line
        }
        if !fields.isEmpty { rows.append((rowLine, fields)) }
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// The row's whole text, for error messages.
    func text(ofRow index: Int) -> String {
        let fields = rows[index].fields
        guard let first = fields.first, let last = fields.last else { return "" }
        return String(decoding: bytes[first.lowerBound..<last.upperBound], as: UTF8.self)
    }

    /// The field as a non-negative integer, or nil (empty, a sign, spaces, other characters).
    func integer(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for byte in bytes[range] {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The field as space-separated values 0–255 (FER2013's pixels), or nil if anything else is
    /// in it. `expected` is the count the caller needs; a different count is nil too.
    func bytesList(_ range: Range<Int>, expected: Int) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(expected)
        var value = 0, digits = 0
        for byte in bytes[range] {
            if byte >= 0x30 && byte <= 0x39 {
                value = value * 10 + Int(byte - 0x30)
                digits += 1
                if value > 255 { return nil }
            } else if byte == 0x20 || byte == 0x09 {
                if digits > 0 { values.append(UInt8(value)); value = 0; digits = 0 }
            } else {
                return nil
            }
        }
        if digits > 0 { values.append(UInt8(value)) }
        return values.count == expected ? values : nil
    }
}
