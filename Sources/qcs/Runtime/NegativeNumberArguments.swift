/// Lets `--epochs -1` reach the option's own check instead of failing as "Missing value": the
/// argument parser takes anything starting with `-` for an option, so a negative number right
/// after a long option is joined to it (`--epochs=-1`), which the parser reads as its value.
enum NegativeNumberArguments {
    static func joined(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var k = 0
        while k < arguments.count {
            let a = arguments[k]
            if a == "--" { out += arguments[k...]; break }
            if a.hasPrefix("--"), !a.contains("="), k + 1 < arguments.count, isNegativeNumber(arguments[k + 1]) {
                out.append(a + "=" + arguments[k + 1])
                k += 2
            } else {
                out.append(a)
                k += 1
            }
        }
        return out
    }

    static func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1 else { return false }
        return Double(text) != nil
    }
}
