import Foundation

/// What one job left behind: mpirun's exit, the lines it and the ranks printed (the last few
/// hundred), and the run's status.json. `cause` reads them; the run's own word comes first, then
/// mpirun's, because mpirun names the rank it noticed first, which may be a victim of another's failure.
public struct JobReport: Sendable {
    public var exitCode: Int32
    public var lines: [String]
    /// status.json's `state`, `step` and `message` after the job.
    public var runState: String?
    public var runStep: Int?
    public var runMessage: String?
    /// Set when the supervisor ended the job itself for want of progress.
    public var stalledSeconds: Int?

    public init(exitCode: Int32, lines: [String], runState: String? = nil, runStep: Int? = nil, runMessage: String? = nil,
                stalledSeconds: Int? = nil) {
        self.exitCode = exitCode
        self.lines = lines
        self.runState = runState
        self.runStep = runStep
        self.runMessage = runMessage
        self.stalledSeconds = stalledSeconds
    }

    /// Why the job ended without finishing (placement maps rank numbers to hosts).
    public func cause(placement: JobPlacement) -> FailureCause {
        if exitCode == 64 { return .usage(message: lastError ?? "exit code 64") }
        if let lost = lostHost { return .hostLost(host: lost) }
        if let stalledSeconds { return .stalled(seconds: stalledSeconds, host: nil) }
        if let (rank, signal) = signalledRank { return .rankSignal(rank: rank, host: placement.host(ofRank: rank), signal: signal) }
        if runState == "failed" { return .runFailed(step: runStep ?? 0, message: runMessage ?? lastError ?? "no reason given") }
        if let (rank, code) = exitedRank {
            if code == 64 { return .usage(message: lastError ?? "exit code 64") }
            return .rankExit(rank: rank, host: placement.host(ofRank: rank), code: code)
        }
        return .unexplained(exitCode: exitCode)
    }

    /// "mpirun noticed that process rank 1 with PID 0 on node qh2 exited on signal 9 (Killed)."
    var signalledRank: (Int, Int32)? {
        for line in lines where line.contains("mpirun noticed that process rank") && line.contains("exited on signal") {
            guard let rank = Self.number(after: "process rank ", in: line),
                  let signal = Self.number(after: "exited on signal ", in: line) else { continue }
            return (rank, Int32(signal))
        }
        return nil
    }

    /// "Process name: [[51470,1],1]" followed by "Exit code: 1", or qcs's own "rank R: … MPI_Abort".
    var exitedRank: (Int, Int32)? {
        for (i, line) in lines.enumerated() where line.contains("Process name: [[") {
            guard let close = line.range(of: "],", options: .backwards),
                  let rank = Int(line[close.upperBound...].prefix { $0.isNumber }) else { continue }
            let code = lines[(i + 1)...].prefix(3).lazy.compactMap { Self.number(after: "Exit code:", in: $0) }.first
            return (rank, Int32(code ?? Int(exitCode)))
        }
        for line in lines where line.contains("ending the whole job (MPI_Abort)") {
            if let rank = Self.number(after: "rank ", in: line) { return (rank, 1) }
        }
        return nil
    }

    /// "ORTE has lost communication with a remote daemon." … "Remote daemon: [[…],1] on node qh2".
    var lostHost: String? {
        guard lines.contains(where: { $0.contains("lost communication with a remote daemon") }) else { return nil }
        for line in lines where line.contains("Remote daemon:") {
            if let range = line.range(of: "on node ") {
                return String(line[range.upperBound...].prefix { !$0.isWhitespace })
            }
        }
        return nil
    }

    /// The error the run said: a rank's own line (`rank R: …`, the first one) or rank 0's
    /// (`error: …`, `Error: …`), the last of those.
    var lastError: String? {
        for line in lines where line.hasPrefix("rank ") && !line.contains("ending the whole job") {
            let rest = line.dropFirst(5)
            let digits = rest.prefix { $0.isNumber }
            if !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix(": ") { return String(line) }
        }
        return lines.last { $0.hasPrefix("Error: ") || $0.hasPrefix("error: ") }
    }

    static func number(after marker: String, in line: String) -> Int? {
        guard let range = line.range(of: marker) else { return nil }
        return Int(line[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
    }
}
