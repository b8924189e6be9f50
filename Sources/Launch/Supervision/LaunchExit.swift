/// How `qcs launch` ends, as its exit code: each says what to do next.
public enum LaunchExit: Int32, Sendable, CaseIterable {
    /// The run finished: every epoch (or --max-steps) done.
    case finished = 0
    /// Stopped on request (SIGTERM, SIGINT, `qcs ctl stop`) after a checkpoint: start it again to continue.
    case stopped = 2
    /// Fewer usable hosts than --min-hosts for --wait-for-hosts seconds.
    case tooFewHosts = 3
    /// --max-restarts restarts used up.
    case tooManyRestarts = 4
    /// A failure no restart can fix: a config or data error, or the same failure at the same step twice.
    case unfixable = 5

    public var meaning: String {
        switch self {
        case .finished: "the run finished"
        case .stopped: "stopped on request after a checkpoint; start again to continue"
        case .tooFewHosts: "fewer usable hosts than --min-hosts for --wait-for-hosts seconds"
        case .tooManyRestarts: "--max-restarts restarts used up"
        case .unfixable: "a failure a restart cannot fix (a config or data error, or the same failure at the same step twice)"
        }
    }
}
