import Foundation
import Trainer

/// The supervisor's Prometheus series (`qcs launch --metrics-port`): restarts, healthy hosts, the
/// last recovery, and goodput, the share of the supervised time that went into steps the run kept:
/// (steps gained since the supervisor started ÷ the run's step rate) ÷ seconds supervised. Steps
/// redone after a failure, restarts and waits for hosts all lower it.
final class SupervisorMetrics: @unchecked Sendable {
    let board: MetricsBoard
    let started = Date()
    let startStep: Int

    init(board: MetricsBoard, startStep: Int) {
        self.board = board
        self.startStep = startStep
    }

    func publish(_ counts: (restarts: Int, usable: Int, inJob: Int), run: RunSnapshot) {
        board.set("qcs_restarts_total", Double(counts.restarts), help: "Jobs started again after a failure", kind: .counter)
        board.set("qcs_hosts_healthy", Double(counts.usable), help: "Hosts not left out, blacklisted or drained")
        board.set("qcs_hosts_in_job", Double(counts.inJob), help: "Hosts the running job uses")
        let wall = Date().timeIntervalSince(started)
        if let step = run.step, let rate = run.stepsPerSecond, rate > 0, wall > 0 {
            let useful = Double(max(0, step - startStep)) / rate
            board.set("qcs_goodput_ratio", min(1, useful / wall),
                      help: "Share of the supervised time spent on steps the run kept (1: no time lost to failures)")
        }
    }

    func recovered(seconds: Double) {
        board.set("qcs_last_recovery_seconds", seconds, help: "Seconds from the last failure to the next completed step")
    }
}
