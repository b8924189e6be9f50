import ArgumentParser
import Foundation
import Launch
import Trainer

extension QCSCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where a training run is: state, step, speed, ETA, best evaluation, last checkpoint, ranks.",
            discussion: """
            Reads RUN_DIR/status.json, which rank 0 rewrites after every step, and checks whether a live \
            process still holds the run directory; safe to use while training runs, from any shell on the \
            machine that holds the run directory. The per-rank line names a rank much slower than the \
            others. A run that says "training" while no process holds it ended without saying so \
            (killed, out of memory): `qcs train --resume auto` continues it.

            Exit codes: 0 shown; 1 not a run directory.

            Example: qcs status runs/demo --watch
            """)

        @Argument(help: ArgumentHelp("The --run-dir of a training run.", valueName: "run-dir"))
        var runDirectory: String

        @Flag(help: "Show it again every --interval seconds until interrupted (Ctrl-C).")
        var watch = false

        @Option(help: "Seconds between two looks with --watch.")
        var interval = 2.0

        func validate() throws {
            guard interval > 0, interval.isFinite else { throw ValidationError("--interval must be a positive number of seconds") }
        }

        func run() throws {
            let terminal = isatty(STDOUT_FILENO) != 0
            while true {
                let text: String
                do {
                    text = ([try RunStatus(directory: runDirectory).text()] + LaunchSummary.lines(runDirectory: runDirectory))
                        .joined(separator: "\n")
                } catch {
                    StandardError.print("error: \(error)")
                    throw ExitCode.failure
                }
                // On a terminal each look replaces the previous one; in a pipe they follow each other.
                print((watch && terminal ? "\u{1B}[H\u{1B}[2J" : "") + text)
                fflush(stdout)
                guard watch else { return }
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }
}
