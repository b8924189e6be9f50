import Foundation

/// What this rank is doing now (phase and step, since when), set by the training loop and read
/// by the `StallWatchdog` from its own thread.
public final class RankActivity: @unchecked Sendable {
    public enum Phase: String, Sendable {
        case starting, data, compute, decision, update, checkpoint, evaluation, finished
    }

    public struct Snapshot: Sendable {
        public var phase: Phase
        public var step: Int
        public var since: Date
        /// How many times the phase was entered: unchanged between two looks means no progress.
        public var changes: Int
    }

    private var current = Snapshot(phase: .starting, step: 0, since: Date(), changes: 0)
    private let lock = NSLock()

    public init() {}

    public func enter(_ phase: Phase, step: Int) {
        lock.lock()
        defer { lock.unlock() }
        current = Snapshot(phase: phase, step: step, since: Date(), changes: current.changes + 1)
    }

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
}
