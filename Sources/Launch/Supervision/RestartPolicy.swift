import Foundation

/// Whether a failed job is started again, and after how long. Restarts are counted over the run
/// (`maxRestarts`); the wait doubles with each failure in a row that made no progress (1, 2, 4 … up
/// to `maxBackoff` seconds) and falls back to the first after a job that trained. A failure no
/// restart can fix ends the run: a usage or config error at once, and a failure the run causes
/// itself (a rank's own error, the run failing, mpirun's unexplained exit) when it comes back at
/// the same step with the same signature. Failures from outside (signals, lost hosts, stalls)
/// never count as repeating: a host killed twice at the same step is bad luck, not a bug.
public struct RestartPolicy: Sendable {
    public var maxRestarts: Int
    public var firstBackoff: TimeInterval
    public var maxBackoff: TimeInterval
    public private(set) var restarts = 0
    private var failuresWithoutProgress = 0
    private var last: (signature: String, step: Int)?

    public init(maxRestarts: Int = 10, firstBackoff: TimeInterval = 1, maxBackoff: TimeInterval = 30) {
        self.maxRestarts = maxRestarts
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
    }

    public enum Decision: Equatable, Sendable {
        case restart(after: TimeInterval)
        case giveUp(LaunchExit, reason: String)
    }

    /// After a job failed with `cause` at run step `step`; `progressed`: it completed a step.
    public mutating func decide(after cause: FailureCause, step: Int, progressed: Bool) -> Decision {
        if cause.isPermanent { return .giveUp(.unfixable, reason: "\(cause)") }
        if let signature = Self.repeatSignature(cause) {
            if let last, last.signature == signature, last.step == step {
                return .giveUp(.unfixable, reason: "the same failure twice at step \(step): \(cause)")
            }
            last = (signature, step)
        } else {
            last = nil
        }
        guard restarts < maxRestarts else {
            return .giveUp(.tooManyRestarts, reason: "\(restarts) restarts used (--max-restarts \(maxRestarts)); last: \(cause)")
        }
        restarts += 1
        failuresWithoutProgress = progressed ? 0 : failuresWithoutProgress + 1
        return .restart(after: min(maxBackoff, firstBackoff * pow(2, Double(failuresWithoutProgress))))
    }

    /// What makes two failures the same one, for those the run causes itself.
    static func repeatSignature(_ cause: FailureCause) -> String? {
        switch cause {
        case .rankExit(_, _, let code): "exit \(code)"
        case .runFailed(_, let message): "failed: \(message)"
        case .unexplained(let code): "mpirun \(code)"
        case .rankSignal, .hostLost, .stalled, .usage: nil
        }
    }
}
