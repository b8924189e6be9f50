import Foundation
import Subprocess
#if canImport(SystemPackage)
import SystemPackage
#endif

/// One job under mpirun: `qcs train` on every slot of a placement, its output passed through to
/// the supervisor's console and kept (the last lines) for working out a failure; and the bounded
/// one-rank probe that tells whether a host can run qcs at all.
public struct MPIRunJob: Sendable {
    /// The mpirun to run (a name looked up in PATH, or a path).
    public var mpirun: String
    /// mpirun options given through: MCA parameters, the rsh agent, interfaces, --prefix.
    public var mpirunOptions: [String]
    /// The qcs binary the ranks run (the supervisor's own by default).
    public var qcs: String
    /// What follows `qcs` on every rank: `train --run-dir RUN --resume auto …`.
    public var rankArguments: [String]
    /// Lines of output kept for `JobReport`.
    public static let keptLines = 400

    public init(mpirun: String, mpirunOptions: [String], qcs: String, rankArguments: [String]) {
        self.mpirun = mpirun
        self.mpirunOptions = mpirunOptions
        self.qcs = qcs
        self.rankArguments = rankArguments
    }

    /// mpirun's arguments for `placement` running `program`: exactly the slots named, no core
    /// binding (ranks size their own thread pools), allowed as root where the supervisor is root.
    func arguments(_ placement: JobPlacement, program: [String]) -> [String] {
        var a: [String] = geteuid() == 0 ? ["--allow-run-as-root"] : []
        a += ["-np", "\(placement.ranks)", "--host", placement.hostArgument, "--bind-to", "none"]
        return a + mpirunOptions + program
    }

    private var executable: Executable {
        mpirun.contains("/") ? .path(FilePath(mpirun)) : .name(mpirun)
    }

    /// Sends signals to the running mpirun (it forwards SIGUSR1/2 to every rank at once).
    public struct Control: Sendable {
        let send: @Sendable (Int32) -> Void
        public func signal(_ sig: Int32) { send(sig) }
    }

    /// Runs the job to its end: `watch` runs beside it (polling the run, sending signals) and is
    /// cancelled when the job's output ends. Returns mpirun's exit code (128 + N for signal N) and
    /// its last lines.
    public func run(_ placement: JobPlacement, console: @escaping @Sendable (String, Bool) -> Void,
                    watch: @escaping @Sendable (Control) async -> Void) async throws -> (exitCode: Int32, lines: [String]) {
        let kept = KeptLines(limit: Self.keptLines)
        let result = try await Subprocess.run(executable, arguments: Arguments(arguments(placement, program: [qcs] + rankArguments)),
                                              input: .none, output: .sequence, error: .sequence) { execution in
            let control = Control { sig in try? execution.send(signal: Signal(rawValue: sig)) }
            let watcher = Task { await watch(control) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await line in execution.standardOutput.strings() { kept.append(line); console(line, false) }
                }
                group.addTask {
                    for try await line in execution.standardError.strings() { kept.append(line); console(line, true) }
                }
                try await group.waitForAll()
            }
            watcher.cancel()
            await watcher.value
        }
        return (Self.code(result.terminationStatus), kept.lines)
    }

    /// Runs `qcs ARGUMENTS` as one rank on `host`, through the job's mpirun and its options, killed
    /// after `timeout` seconds; whether it succeeded.
    public func runOnce(on host: MPIHost, _ qcsArguments: [String], timeout: TimeInterval) async -> Bool {
        let placement = JobPlacement(hosts: [MPIHost(name: host.name, slots: 1)])
        let finished = FinishedFlag()
        do {
            let result = try await Subprocess.run(executable, arguments: Arguments(arguments(placement, program: [qcs] + qcsArguments)),
                                                  input: .none, output: .discarded, error: .discarded) { execution in
                let pid = execution.processIdentifier.value
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                    if !finished.isSet { kill(pid, SIGKILL) }
                }
            }
            finished.set()
            return result.terminationStatus.isSuccess
        } catch {
            finished.set()
            return false
        }
    }

    static func code(_ status: TerminationStatus) -> Int32 {
        switch status {
        case .exited(let code): Int32(code)
        case .signaled(let signal): 128 + Int32(signal)
        }
    }
}

/// The last lines of a job's output, for `JobReport`.
final class KeptLines: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [String] = []
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func append(_ line: String) {
        lock.withLock {
            buffer.append(line)
            if buffer.count > limit { buffer.removeFirst(buffer.count - limit) }
        }
    }

    var lines: [String] { lock.withLock { buffer } }
}

/// Set once a probe's mpirun has returned, so its timeout kills nothing.
final class FinishedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
