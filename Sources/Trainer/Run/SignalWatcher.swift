import Dispatch
import Foundation

/// Turns operator signals into requests the training loop reads at step boundaries:
/// SIGUSR1 asks for a checkpoint and continue; SIGTERM and SIGINT ask for a checkpoint and a clean
/// exit (Slurm and mpirun send SIGTERM before they kill; SIGKILL follows about a second later
/// under mpirun, so the loop only finishes the current step's bookkeeping, never a new step).
public final class SignalWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var checkpointRequested = false
    private var stopRequested = false
    private var stopSignal: Int32 = 0

    public init() {
        let queue = DispatchQueue(label: "qcs.signals")
        for sig in [SIGUSR1, SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in self?.received(sig) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for s in sources { s.cancel() }
        for sig in [SIGUSR1, SIGTERM, SIGINT] { signal(sig, SIG_DFL) }
    }

    private func received(_ sig: Int32) {
        lock.lock()
        if sig == SIGUSR1 { checkpointRequested = true } else { stopRequested = true; stopSignal = sig }
        lock.unlock()
    }

    /// True once per SIGUSR1 received since the last call.
    public func takeCheckpointRequest() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let r = checkpointRequested
        checkpointRequested = false
        return r
    }

    /// The signal that asked to stop, if any.
    public var stopRequest: Int32? {
        lock.lock(); defer { lock.unlock() }
        return stopRequested ? stopSignal : nil
    }
}
