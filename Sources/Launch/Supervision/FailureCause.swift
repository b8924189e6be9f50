import Foundation

/// Why a job ended without finishing, as the supervisor works it out from mpirun's report (its
/// exit code and the lines it printed) and the run's status.json. Each restart line names it.
public enum FailureCause: Equatable, Sendable, CustomStringConvertible {
    /// A rank killed by a signal (SIGKILL from the OOM killer or a person, SIGSEGV, …).
    case rankSignal(rank: Int, host: String?, signal: Int32)
    /// A rank that exited with a non-zero code on its own (its error said on the console).
    case rankExit(rank: Int, host: String?, code: Int32)
    /// A host whose Open MPI daemon mpirun lost (the node died or its link went down).
    case hostLost(host: String)
    /// No step for longer than the stall limit: the job was ended by the watchdog or the supervisor.
    case stalled(seconds: Int, host: String?)
    /// The run itself failed on every rank alike (status.json `failed`: a non-finite loss, ranks
    /// that disagree, a data error), at this step.
    case runFailed(step: Int, message: String)
    /// A usage or config error (exit 64): no restart fixes it.
    case usage(message: String)
    /// mpirun ended otherwise (its exit code, or the signal that ended it).
    case unexplained(exitCode: Int32)

    /// The host to blame, when the failure is one host's.
    public var host: String? {
        switch self {
        case .rankSignal(_, let host, _), .rankExit(_, let host, _), .stalled(_, let host): host
        case .hostLost(let host): host
        case .runFailed, .usage, .unexplained: nil
        }
    }

    /// Whether restarting cannot help: the same inputs would fail the same way.
    public var isPermanent: Bool {
        if case .usage = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .rankSignal(let rank, let host, let signal):
            "rank \(rank)\(host.map { " on \($0)" } ?? "") killed by \(Self.signalName(signal))"
                + (signal == SIGKILL ? " (out of memory, or killed by hand)" : "")
        case .rankExit(let rank, let host, let code): "rank \(rank)\(host.map { " on \($0)" } ?? "") exited with code \(code)"
        case .hostLost(let host): "lost contact with \(host) (the node or its link is down)"
        case .stalled(let seconds, let host):
            "no step for \(seconds) s\(host.map { ", waiting on \($0)" } ?? "") (a hang: ended by the stall limit)"
        case .runFailed(let step, let message): "the run failed at step \(step): \(message)"
        case .usage(let message): "a usage or config error: \(message)"
        case .unexplained(let code): "mpirun exited with code \(code) and no rank named"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGTERM: "SIGTERM", SIGABRT: "SIGABRT",
                                      SIGBUS: "SIGBUS", SIGINT: "SIGINT", SIGFPE: "SIGFPE", SIGILL: "SIGILL"]
        return names[signal] ?? "signal \(signal)"
    }
}
