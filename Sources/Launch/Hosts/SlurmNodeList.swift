/// Slurm's compressed lists: node names with bracketed ranges (`qh[1-3],gpu[01,05-06]`, zero
/// padding kept) and repeated counts (`2(x3),1`), expanded as `scontrol show hostnames` would.
public enum SlurmNodeList {
    public static func expand(_ text: String) throws(HostListError) -> [String] {
        var names: [String] = []
        var prefix = "", chars = Array(text), i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "," {
                if !prefix.isEmpty { names.append(prefix) }
                prefix = ""
                i += 1
            } else if c == "[" {
                guard let close = chars[i...].firstIndex(of: "]") else {
                    throw HostListError("node list '\(text)': a '[' without its ']'")
                }
                let ranges = String(chars[(i + 1)..<close])
                var suffixEnd = close + 1
                while suffixEnd < chars.count, chars[suffixEnd] != "," { suffixEnd += 1 }
                let suffix = String(chars[(close + 1)..<suffixEnd])
                guard !suffix.contains("[") else {
                    throw HostListError("node list '\(text)': more than one bracket in one name is not supported")
                }
                for number in try numbers(ranges, in: text) { names.append(prefix + number + suffix) }
                prefix = ""
                i = suffixEnd
            } else {
                prefix.append(c)
                i += 1
            }
        }
        if !prefix.isEmpty { names.append(prefix) }
        guard !names.isEmpty else { throw HostListError("node list '\(text)' names no node") }
        return names
    }

    /// `2(x3),1` → [2, 2, 2, 1].
    public static func expandCounts(_ text: String) throws(HostListError) -> [Int] {
        var counts: [Int] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "(")
            guard let count = Int(parts[0]), count >= 1 else {
                throw HostListError("task counts '\(text)': '\(item)' is not N or N(xM)")
            }
            var times = 1
            if parts.count == 2 {
                guard parts[1].hasPrefix("x"), parts[1].hasSuffix(")"), let m = Int(parts[1].dropFirst().dropLast()), m >= 1 else {
                    throw HostListError("task counts '\(text)': '\(item)' is not N or N(xM)")
                }
                times = m
            } else if parts.count > 2 {
                throw HostListError("task counts '\(text)': '\(item)' is not N or N(xM)")
            }
            counts += Array(repeating: count, count: times)
        }
        return counts
    }

    /// `01-03,07` → ["01", "02", "03", "07"]: each range keeps its first number's width.
    private static func numbers(_ ranges: String, in text: String) throws(HostListError) -> [String] {
        var out: [String] = []
        for part in ranges.split(separator: ",") {
            let bounds = part.split(separator: "-")
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds.last!), low <= high,
                  high - low < 100_000 else {
                throw HostListError("node list '\(text)': '\(part)' is not a number or a range low-high")
            }
            let width = bounds[0].count
            for n in low...high {
                let digits = String(n)
                out.append(String(repeating: "0", count: max(0, width - digits.count)) + digits)
            }
        }
        return out
    }
}
