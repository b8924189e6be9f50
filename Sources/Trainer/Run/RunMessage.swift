/// One line of rank 0's account of a run. `level` lets the reader choose how much to see
/// (`qcs train --log-level`); a line that is not `kept` is a status line: a terminal shows it in
/// place until the next one, a log file never sees it, so logs hold one progress line every
/// `--log-every` steps however fast the steps are.
public struct RunMessage: Sendable, Equatable {
    public enum Level: Int, Comparable, CaseIterable, Sendable {
        case error, warning, info, debug

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    public var level: Level
    public var text: String
    public var kept: Bool

    public init(_ level: Level, _ text: String, kept: Bool = true) {
        self.level = level
        self.text = text
        self.kept = kept
    }
}

/// Where a training run's messages go (`qcs train`'s console and log file).
public protocol RunMessageSink: AnyObject {
    func show(_ message: RunMessage)
}
