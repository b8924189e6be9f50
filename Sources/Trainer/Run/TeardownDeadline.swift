import Foundation

/// Once a rank has said how its run ended, nothing it still holds is worth a hang: if letting go
/// of its parts (loader, compute and exchange threads, MPI) takes longer than `seconds`, it says
/// so and exits with the status its outcome means. Armed by the command line
/// (`TrainingRun.Options.teardownDeadline`), never in a library caller's process.
enum TeardownDeadline {
    static func arm(rank: Int, status: Int32, seconds: TimeInterval,
                    expire: @escaping @Sendable (String, Int32) -> Void = { TeardownDeadline.exit($0, $1) }) {
        let thread = Thread {
            Thread.sleep(forTimeInterval: seconds)
            expire("rank \(rank): the run has ended, but letting go of its threads took more than "
                   + String(format: "%g", seconds) + " s: exiting now with status \(status)", status)
        }
        thread.name = "qcs-teardown-deadline"
        thread.start()
    }

    static func exit(_ message: String, _ status: Int32) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        _exit(status)
    }
}
