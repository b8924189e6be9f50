import Foundation
import Trainer

/// `qcs launch`'s engine: runs the training under mpirun on the usable hosts and starts it again
/// when it fails, on the hosts that are left, until it finishes, is stopped, or cannot go on.
/// Each pass of `run` is one job: choose hosts (probe, wait for enough), wait for the previous
/// job's ranks to let go of the run directory, launch, watch (stop requests, hosts to grow back
/// onto, recovery), then decide from how it ended.
public final class LaunchSupervisor: @unchecked Sendable {
    let options: LaunchOptions
    let events: LaunchEventLog
    let say: @Sendable (String) -> Void
    private var health: HostHealth
    private var policy: RestartPolicy
    private let state = WatchState()

    public init(options: LaunchOptions, events: LaunchEventLog, policy: RestartPolicy,
                say: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.events = events
        self.say = say
        self.policy = policy
        health = HostHealth(window: options.blacklistWindow, cooldown: options.hostCooldown)
    }

    var run: String { options.runDirectory }

    public func run() async throws -> LaunchExit {
        let signals = SignalRequests()
        var job = 0
        var failure: (at: Date, step: Int)?
        events.record("start", ["hosts": options.hosts.map(\.description), "min_hosts": options.minHosts,
                                "max_restarts": policy.maxRestarts, "pid": Int(getpid())])
        while true {
            if RunSnapshot.read(run).state == "finished" {
                say("launch: the run has finished; nothing to do")
                return end(.finished, "the run has finished")
            }
            if let sig = signals.stopRequest { return end(.stopped, "\(signalName(sig)) before a job started") }
            guard let hosts = try await usableHosts(signals: signals) else {
                return end(.tooFewHosts, "fewer than \(options.minHosts) usable host(s) for \(Int(options.waitForHosts)) s")
            }
            if signals.stopRequest != nil { continue }
            try await waitForRunLock()
            job += 1
            let placement = JobPlacement(hosts: hosts)
            let resumeStep = RunSnapshot.checkpointStep(run)
            say("launch: job \(job) on \(placement.hostArgument) (\(placement.ranks) ranks), from "
                + (resumeStep > 0 ? "the checkpoint at step \(resumeStep)" : "the start"))
            events.record("launch", ["job": job, "hosts": hosts.map(\.description), "ranks": placement.ranks,
                                     "resume_step": resumeStep])
            state.reset(failure: failure, resumeStep: resumeStep)
            let ended = try await options.job.run(placement, console: { line, isError in
                Self.pass(line, isError: isError)
            }, watch: { control in await self.watch(control, placement: placement, signals: signals) })
            let after = RunSnapshot.read(run)
            let outcome = state.outcome
            if outcome.recovered != nil { failure = nil }
            events.record("exit", ["job": job, "exit_code": Int(ended.exitCode), "state": after.state ?? "unknown",
                                   "step": after.step ?? 0])
            if after.state == "finished" && ended.exitCode == 0 { return end(.finished, "the run finished") }
            if outcome.stopSent && after.state == "stopped" {
                return end(.stopped, "stopped on request at step \(after.step ?? 0), after a checkpoint")
            }
            if outcome.growing && after.state == "stopped" && ended.exitCode == 0 {
                say("launch: job \(job) checkpointed at step \(after.step ?? 0) to take more hosts")
                continue
            }
            let report = JobReport(exitCode: ended.exitCode, lines: ended.lines, runState: after.state, runStep: after.step,
                                   runMessage: after.message)
            let cause = report.cause(placement: placement)
            let step = after.step ?? resumeStep
            var line = "launch: job \(job) ended (exit \(ended.exitCode)): \(cause)"
            if let host = cause.host, options.hosts.contains(where: { $0.name == host }) {
                switch health.recordFailure(of: host, at: Date()) {
                case .setAside(let until):
                    line += "; \(host) left out for \(Int(until.timeIntervalSinceNow.rounded())) s"
                    events.record("host_out", ["host": host, "seconds": Int(until.timeIntervalSinceNow.rounded())])
                case .blacklisted(let until, let times):
                    line += "; \(host) blacklisted for \(Int(until.timeIntervalSinceNow.rounded())) s (failure \(times * 2) "
                        + "within \(Int(options.blacklistWindow)) s)"
                    events.record("blacklist", ["host": host, "seconds": Int(until.timeIntervalSinceNow.rounded()),
                                                "times": times])
                }
            }
            switch policy.decide(after: cause, step: step, progressed: (after.step ?? 0) > resumeStep) {
            case .giveUp(let code, let reason):
                say(line)
                return end(code, reason, cause: cause)
            case .restart(let wait):
                say(line + String(format: "; restart %d of %d in %.0f s", policy.restarts, policy.maxRestarts, wait))
                events.record("restart", ["job": job, "cause": "\(cause)", "host": cause.host ?? NSNull(), "step": step,
                                          "restarts": policy.restarts, "after_seconds": wait])
                failure = failure ?? (Date(), step)
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            }
        }
    }

    /// Records the end, says it, and returns its code.
    private func end(_ exit: LaunchExit, _ reason: String, cause: FailureCause? = nil) -> LaunchExit {
        var fields: [String: Any] = ["exit_code": Int(exit.rawValue), "reason": reason, "restarts": policy.restarts]
        if let cause { fields["cause"] = "\(cause)" }
        events.record("end", fields)
        say("launch: \(exit.meaning) (exit \(exit.rawValue))\(exit == .finished ? "" : ": \(reason)")")
        return exit
    }

    /// The hosts of the next job: usable and answering a probe, at most `maxHosts`; waits up to
    /// `waitForHosts` seconds for `minHosts` of them, saying so once a minute. Nil: too few.
    private func usableHosts(signals: SignalRequests) async throws -> [MPIHost]? {
        let deadline = Date().addingTimeInterval(options.waitForHosts)
        var lastSaid: Date?
        while true {
            let candidates = options.hosts.filter { health.isUsable($0.name, at: Date()) }
            let answers = await probe(candidates)
            for host in candidates where !answers.contains(host.name) { events.record("probe_failed", ["host": host.name]) }
            let answering = Array(candidates.filter { answers.contains($0.name) }.prefix(options.maxHosts ?? .max))
            if answering.count >= options.minHosts { return answering }
            if Date() >= deadline || signals.stopRequest != nil { return nil }
            if lastSaid.map({ Date().timeIntervalSince($0) >= 60 }) ?? true {
                let back = health.nextReturn(after: Date()).map { String(format: "; the next host left out returns in %.0f s",
                                                                        $0.timeIntervalSinceNow) } ?? ""
                say("launch: \(answering.count) usable host(s) of the \(options.minHosts) needed (--min-hosts); waiting up to "
                    + "\(Int(deadline.timeIntervalSinceNow)) s more\(back)")
                lastSaid = Date()
            }
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// The names of the hosts that answer a probe, all probed at once.
    private func probe(_ hosts: [MPIHost]) async -> Set<String> {
        await withTaskGroup(of: String?.self) { group in
            for host in hosts {
                group.addTask { await self.options.job.probe(host, timeout: self.options.probeTimeout) ? host.name : nil }
            }
            var names = Set<String>()
            for await name in group { if let name { names.insert(name) } }
            return names
        }
    }

    /// Waits for every rank of the previous job to let go of the run directory (a rank can
    /// outlive mpirun's abort by a moment), up to `lockWait` seconds, saying so once.
    private func waitForRunLock() async throws {
        let directory = URL(fileURLWithPath: run)
        guard let holder = RunLock.holder(of: directory) else { return }
        say("launch: waiting up to \(Int(options.lockWait)) s for \(holder) to let go of the run directory")
        let deadline = Date().addingTimeInterval(options.lockWait)
        while RunLock.holder(of: directory) != nil {
            guard Date() < deadline else {
                throw LaunchError("\(RunLock.holder(of: directory) ?? holder) still holds \(run) after \(Int(options.lockWait)) s: "
                                  + "another training is using this run directory; stop it first")
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// Beside a running job: passes a stop request on (SIGUSR2: checkpoint and stop), notes the
    /// first step after a restart (the recovery), and asks the job to checkpoint and stop when a
    /// host that was left out answers again, so the next job can take it.
    private func watch(_ control: MPIRunJob.Control, placement: JobPlacement, signals: SignalRequests) async {
        var lastGrowCheck = Date()
        while !Task.isCancelled {
            if signals.stopRequest != nil, state.markStopSent() {
                say("launch: stop requested: every rank checkpoints after its current step and exits")
                control.signal(SIGUSR2)
            }
            if let recovery = state.checkRecovery(RunSnapshot.read(run)) {
                say(String(format: "launch: recovered: step %d done %.1f s after the failure (%d step(s) redone)",
                           recovery.step, recovery.seconds, recovery.redone))
                events.record("recovered", ["seconds": recovery.seconds, "steps_redone": recovery.redone, "step": recovery.step])
            }
            if !state.isStopping, Date().timeIntervalSince(lastGrowCheck) >= options.growCheckSeconds {
                lastGrowCheck = Date()
                let room = (options.maxHosts ?? .max) - placement.hosts.count
                let outside = options.hosts.filter { h in
                    !placement.hosts.contains { $0.name == h.name } && health.isUsable(h.name, at: Date())
                }
                if room > 0, !outside.isEmpty {
                    let answers = await probe(Array(outside))
                    let back = Array(outside.map(\.name).filter { answers.contains($0) }.prefix(room))
                    if !back.isEmpty, state.markGrowing() {
                        say("launch: \(back.joined(separator: ", ")) answer\(back.count == 1 ? "s" : "") again: the job "
                            + "checkpoints and stops, and the next one runs on \(placement.hosts.count + back.count) hosts")
                        events.record("grow", ["hosts": back, "from": placement.hosts.count,
                                               "to": placement.hosts.count + back.count])
                        control.signal(SIGUSR2)
                    }
                }
            }
            try? await Task.sleep(nanoseconds: 500_000_000)
        }
    }

    /// A line of the job's output on the supervisor's console, as rank 0 printed it.
    static func pass(_ line: String, isError: Bool) {
        if isError {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
            fflush(stdout)
        }
    }
}

/// What the watcher of one job has seen and done, read by the loop when the job is over.
final class WatchState: @unchecked Sendable {
    private let lock = NSLock()
    private var stopSent = false, growing = false
    private var failure: (at: Date, step: Int)?
    private var resumeStep = 0
    private var launched = Date()
    private var recovered: (step: Int, seconds: Double, redone: Int)?

    func reset(failure: (at: Date, step: Int)?, resumeStep: Int) {
        lock.withLock {
            stopSent = false
            growing = false
            recovered = nil
            self.failure = failure
            self.resumeStep = resumeStep
            launched = Date()
        }
    }

    var isStopping: Bool { lock.withLock { stopSent || growing } }

    /// True the first time: the stop is sent once.
    func markStopSent() -> Bool { lock.withLock { defer { stopSent = true }; return !stopSent } }

    func markGrowing() -> Bool { lock.withLock { defer { growing = true }; return !growing && !stopSent } }

    /// The recovery, once, when this job has written a step past the checkpoint it resumed from
    /// after a failure (status.json written since the launch: the failed job's last word does not count).
    func checkRecovery(_ run: RunSnapshot) -> (step: Int, seconds: Double, redone: Int)? {
        lock.withLock {
            guard recovered == nil, let failure, let step = run.step, step > resumeStep,
                  let written = run.written, written > launched else { return nil }
            let r = (step, Date().timeIntervalSince(failure.at), max(0, failure.step - resumeStep))
            recovered = r
            return r
        }
    }

    var outcome: (stopSent: Bool, growing: Bool, recovered: (step: Int, seconds: Double, redone: Int)?) {
        lock.withLock { (stopSent, growing, recovered) }
    }
}
