import Foundation

/// Ends a rank whose launcher is gone. mpirun (through its node daemon) or srun is the parent of
/// every rank; when it is killed the ranks are handed to another parent. Open MPI's own lifeline
/// ends them then, but not every launcher has one, and a rank that runs on alone holds the run
/// directory's lock, so a `--resume` started right after is refused. A thread compares the
/// parent pid every `interval` and, when it changed, says so and exits at once: checkpoints are
/// written whole or not at all, so nothing a resume would take is lost.
final class LauncherWatch: @unchecked Sendable {
    /// - Parameters:
    ///   - parent: the launcher's pid (this process's parent when it started).
    ///   - gone: what happens when the parent changed, given the message (by default: it is
    ///     written to standard error and the process exits with status 1).
    init(rank: Int, parent: pid_t = getppid(), interval: TimeInterval = 1,
         gone: @escaping @Sendable (String) -> Void = { LauncherWatch.exit($0) }) {
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: interval)
                if getppid() != parent {
                    gone("rank \(rank): its launcher (parent pid \(parent)) is gone; exiting now (the newest complete "
                         + "checkpoint is what --resume auto continues from)")
                    return
                }
            }
        }
        thread.name = "qcs-launcher-watch"
        thread.start()
    }

    static func exit(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        _exit(1)
    }
}
