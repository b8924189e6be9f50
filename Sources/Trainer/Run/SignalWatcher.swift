import Dispatch
import Foundation

/// Turns operator signals into requests the training loop reads at step boundaries:
/// SIGUSR1 asks for a checkpoint and continue; SIGUSR2, SIGTERM and SIGINT ask for a checkpoint
/// and a clean exit. Under mpirun SIGUSR2 is the one to send: mpirun forwards SIGUSR1/2 to every
/// rank at once, while a SIGTERM reaches the ranks only `odls_base_sigkill_timeout` seconds
/// later, with SIGKILL as long again after it (docs/CHECKPOINTS.md, Preemption).
///
/// Signal dispositions belong to the process, so there is one watcher per process
/// (`SignalWatcher.shared`), installed on first use and kept: tearing handlers down and
/// installing them again loses signals. Each run reads it through its own `SignalRequests`,
/// which counts only what arrived since the run began.
public final class SignalWatcher: @unchecked Sendable {
    public static let shared = SignalWatcher()

    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var checkpoints = 0
    private var stops = 0
    private var lastStopSignal: Int32 = 0

    private init() {
        let queue = DispatchQueue(label: "qcs.signals")
        for sig in [SIGUSR1, SIGUSR2, SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [unowned self] in self.received(sig) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(_ sig: Int32) {
        lock.withLock {
            if sig == SIGUSR1 {
                checkpoints += 1
            } else {
                stops += 1
                lastStopSignal = sig
            }
        }
    }

    /// (checkpoint requests, stop requests, the last stop signal) received so far.
    var counts: (checkpoints: Int, stops: Int, stopSignal: Int32) {
        lock.withLock { (checkpoints, stops, lastStopSignal) }
    }
}

/// One run's view of the process's signals: only those received since it was made.
public struct SignalRequests {
    private let watcher: SignalWatcher
    private var seenCheckpoints: Int
    private let stopsAtStart: Int

    public init(watcher: SignalWatcher = .shared) {
        self.watcher = watcher
        let c = watcher.counts
        seenCheckpoints = c.checkpoints
        stopsAtStart = c.stops
    }

    /// True once per SIGUSR1 received since the last call.
    public mutating func takeCheckpointRequest() -> Bool {
        let now = watcher.counts.checkpoints
        defer { seenCheckpoints = now }
        return now > seenCheckpoints
    }

    /// The signal that asked to stop, if any arrived during this run.
    public var stopRequest: Int32? {
        let c = watcher.counts
        return c.stops > stopsAtStart ? c.stopSignal : nil
    }
}

/// The usual name of a signal the watcher handles (`SIGTERM`), else its number.
public func signalName(_ sig: Int32) -> String {
    switch sig {
    case SIGUSR1: "SIGUSR1"
    case SIGUSR2: "SIGUSR2"
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    default: "signal \(sig)"
    }
}
