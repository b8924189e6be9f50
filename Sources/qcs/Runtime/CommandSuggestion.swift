import ArgumentParser

/// A misspelt command (`qcs trian`, `qcs checkpoint inspct`) named as such, with the nearest
/// command, instead of the parser's "Unexpected argument".
enum CommandSuggestion {
    /// The message for the first word of `arguments` that should name a subcommand and names
    /// none, or nil when every such word is a command (options are the parser's to judge).
    static func problem(_ command: ParsableCommand.Type, _ arguments: [String], path: String = "qcs") -> String? {
        let subcommands = command.configuration.subcommands
        guard !subcommands.isEmpty, let word = arguments.first, !word.hasPrefix("-"), word != "help" else { return nil }
        if let next = subcommands.first(where: { $0._commandName == word }) {
            return problem(next, Array(arguments.dropFirst()), path: path + " " + word)
        }
        let names = subcommands.map { $0._commandName }
        let nearest = names.map { (name: $0, distance: editDistance(word, $0)) }.min { $0.distance < $1.distance }
        let hint = nearest.flatMap { $0.distance <= max(2, word.count / 3) ? " Did you mean '\(path) \($0.name)'?" : nil } ?? ""
        return "'\(word)' is not a command of \(path).\(hint) The commands: \(names.joined(separator: ", ")) "
            + "('\(path) --help' says what each does)."
    }

    /// Levenshtein distance, counting a swap of two neighbours as one edit ("trian" → "train").
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty, !y.isEmpty else { return max(x.count, y.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}
