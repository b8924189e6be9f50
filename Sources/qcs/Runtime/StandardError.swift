import Distributed
import Foundation

/// Messages that are not the command's result (progress, notes) go to standard error, so the
/// output of `predict --format json` and the like can be piped.
enum StandardError {
    static func print(_ text: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((text + terminator).utf8))
    }

    /// A terminal someone watches: not the pseudo-terminal a launcher gives each rank.
    static var isTerminal: Bool { isatty(STDERR_FILENO) != 0 && !ProcessWorld.isLaunched }
}
