import ArgumentParser
import Distributed
import Foundation
import Trainer

/// `--log-level`: how much of rank 0's account a reader wants.
enum LogLevel: String, CaseIterable, ExpressibleByArgument {
    case error, warning, info, debug

    var level: RunMessage.Level {
        switch self {
        case .error: .error
        case .warning: .warning
        case .info: .info
        case .debug: .debug
        }
    }
}

/// Where rank 0's account of a training run goes: standard output (on a terminal, status lines
/// rewritten in place at most four times a second) and, with `--log-file`, a file of the kept
/// lines with their times. Lines above `level` are left out of both.
final class RunConsole: RunMessageSink {
    private let level: RunMessage.Level
    private let file: FileHandle?
    /// Under a launcher the rank's output is a pseudo-terminal of the launcher's even when the
    /// job's output goes to a file, so lines are rewritten in place only without one.
    private let terminal = isatty(STDOUT_FILENO) != 0 && !ProcessWorld.isLaunched
    private var statusShown = false
    private var lastStatus = -Double.infinity
    private let clock = ISO8601DateFormatter()

    init(level: RunMessage.Level, logFile: String?) throws {
        self.level = level
        guard let logFile else { file = nil; return }
        if !FileManager.default.fileExists(atPath: logFile) {
            guard FileManager.default.createFile(atPath: logFile, contents: nil) else {
                throw ValidationError("--log-file \(logFile): cannot create it (does its folder exist, may it be written?)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: logFile) else {
            throw ValidationError("--log-file \(logFile): cannot open it for writing")
        }
        handle.seekToEndOfFile()
        file = handle
        clock.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    }

    func show(_ message: RunMessage) {
        if message.level <= level {
            write(message.text, kept: true)
            file?.write(Data("\(clock.string(from: Date())) \(message.level) \(message.text)\n".utf8))
        } else if !message.kept && terminal {
            write(message.text, kept: false)
        }
    }

    private func write(_ text: String, kept: Bool) {
        let clear = statusShown ? "\r\u{1B}[K" : ""
        if kept {
            statusShown = false
            print(clear + text)
        } else {
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            guard now - lastStatus >= 0.25 else { return }
            lastStatus = now
            statusShown = true
            print(clear + text, terminator: "")
        }
        fflush(stdout)
    }
}
