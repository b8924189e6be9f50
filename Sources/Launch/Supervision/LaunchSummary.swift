import Foundation
import Trainer

/// What `qcs status RUN` adds for a run under `qcs launch`, from RUN/launch/events.jsonl: whether
/// a supervisor holds the run, its restarts, the hosts of the last job, the last failure and
/// recovery, and how it ended.
public enum LaunchSummary {
    public static func lines(runDirectory: String) -> [String] {
        let events = LaunchEventLog.records(runDirectory: runDirectory)
        guard !events.isEmpty else { return [] }
        func last(_ kind: String) -> [String: Any]? { events.last { $0["event"] as? String == kind } }
        let holder = RunLock.holder(of: URL(fileURLWithPath: runDirectory + "/launch"))
        let restarts = events.filter { $0["event"] as? String == "restart" }.count
        var head = "  supervisor: " + (holder.map { "qcs launch, \($0)" } ?? "none running")
        head += ", \(restarts) restart\(restarts == 1 ? "" : "s")"
        if let launch = last("launch"), let hosts = launch["hosts"] as? [String] {
            head += "; job \(launch["job"] as? Int ?? 0) on \(hosts.joined(separator: ","))"
        }
        var lines = [head]
        if let restart = last("restart"), let cause = restart["cause"] as? String {
            lines.append("  last failure: \(cause) (\(restart["time"] as? String ?? "?"), at step \(restart["step"] as? Int ?? 0))")
        }
        if let recovered = last("recovered"), let seconds = recovered["seconds"] as? Double {
            lines.append(String(format: "  last recovery: %.1f s to the next step, %d step(s) redone", seconds,
                                recovered["steps_redone"] as? Int ?? 0))
        }
        if holder == nil, let end = last("end"), let reason = end["reason"] as? String {
            lines.append("  supervisor ended: \(reason) (exit \(end["exit_code"] as? Int ?? -1))")
        }
        return lines
    }
}
