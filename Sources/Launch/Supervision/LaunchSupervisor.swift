import Foundation
import Distributed
import Trainer

/// `qcs launch`'s engine: runs the training under mpirun on the usable hosts and starts it again
/// when it fails, on the hosts that are left, until it finishes, is stopped, or cannot go on.
/// Each pass of `run` is one job: choose hosts (probe, wait for enough), wait for the previous
/// job's ranks to let go of the run directory, launch, watch (stop requests, hosts to grow back
/// onto, recovery), then decide from how it ended. The control socket (`board`) may ask for a
/// checkpoint, a stop, a pause, a drained or added host at any time.
public final class LaunchSupervisor: @unchecked Sendable {
    let options: LaunchOptions
    let events: LaunchEventLog
    let say: @Sendable (String) -> Void
    let board: SupervisorBoard
    private var policy: RestartPolicy
    private let watched = JobWatch()
    /// Prometheus series on `--metrics-port` (nil: not served).
    let metrics: SupervisorMetrics?

    public init(options: LaunchOptions, events: LaunchEventLog, policy: RestartPolicy, metrics: MetricsBoard? = nil,
                say: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.events = events
        self.say = say
        self.policy = policy
        self.metrics = metrics.map { SupervisorMetrics(board: $0, startStep: RunSnapshot.read(options.runDirectory).step ?? 0) }
        board = SupervisorBoard(hosts: options.hosts,
                                health: HostHealth(window: options.blacklistWindow, cooldown: options.hostCooldown),
                                runDirectory: options.runDirectory)
    }

    var run: String { options.runDirectory }

    /// The answer to one line from the control socket.
    public func control(_ line: String) -> String {
        let answer = board.handle(line)
        events.record("control", ["request": line, "answer": answer.split(separator: "\n").first.map(String.init) ?? ""])
        return answer
    }

    /// - Parameter signals: the stop requests that count (made when the command starts, so that
    ///   one that arrives before the first job, from Slurm's --signal say, is not lost).
    public func run(signals: SignalRequests = SignalRequests()) async throws -> LaunchExit {
        let exit = try await supervise(signals: signals)
        if exit == .tooManyRestarts || exit == .unfixable { await dropMemorySnapshots() }
        return exit
    }

    /// A run given up leaves no snapshots in the hosts' memory: one rank on each host removes its
    /// own (`qcs checkpoint drop-snapshots`). Durable checkpoints stay.
    private func dropMemorySnapshots() async {
        guard let record = NodeCheckpointRecord.read(runDirectory: run), let memory = record.memoryDir else { return }
        let arguments = ["checkpoint", "drop-snapshots", "--memory-dir", memory, "--run-id", record.runID]
        let dropped = await succeeding(options.hosts, arguments).sorted()
        say("launch: memory snapshots removed on \(dropped.isEmpty ? "no host" : dropped.joined(separator: ", "))"
            + (dropped.count < options.hosts.count ? " (the others did not answer)" : ""))
        events.record("snapshots_dropped", ["hosts": dropped])
    }

    private func supervise(signals: SignalRequests) async throws -> LaunchExit {
        var job = 0
        var failure: (at: Date, step: Int)?
        events.record("start", ["hosts": options.hosts.map(\.description), "min_hosts": options.minHosts,
                                "max_restarts": policy.maxRestarts, "pid": Int(getpid())])
        while true {
            if RunSnapshot.read(run).state == "finished" {
                say("launch: the run has finished; nothing to do")
                return end(.finished, "the run has finished")
            }
            if let exit = try await holdWhilePaused(signals) { return exit }
            if let sig = signals.stopRequest { return end(.stopped, "\(signalName(sig)) before a job started") }
            if board.lastIntent == .stop { return end(.stopped, "qcs ctl stop before a job started") }
            board.setPhase("probing hosts")
            guard let hosts = try await usableHosts(signals: signals) else {
                return end(.tooFewHosts, "fewer than \(options.minHosts) usable host(s) for \(Int(options.waitForHosts)) s")
            }
            if signals.stopRequest != nil || board.isPaused { continue }
            try await waitForRunLock(adopting: job == 0)
            job += 1
            let placement = JobPlacement(hosts: hosts), number = job
            let resumeStep = RunSnapshot.checkpointStep(run)
            // Node-local checkpoints are on the hosts, out of this process's sight: the job's resume says which it takes.
            let nodeLocal = NodeCheckpointRecord.read(runDirectory: run) != nil
            say("launch: job \(job) on \(placement.hostArgument) (\(placement.ranks) ranks), from "
                + (nodeLocal ? "the newest checkpoint its hosts hold" + (resumeStep > 0 ? " (RUN/checkpoints: step \(resumeStep))" : "")
                   : resumeStep > 0 ? "the checkpoint at step \(resumeStep)" : "the start"))
            events.record("launch", ["job": job, "hosts": hosts.map(\.description), "ranks": placement.ranks,
                                     "resume_step": resumeStep])
            watched.reset(failure: failure, resumeStep: resumeStep)
            let ended = try await options.job.run(placement, console: { line, isError in
                Self.pass(line, isError: isError)
            }, watch: { control in
                self.board.setJob(number, hosts: hosts, control: control)
                await self.watch(placement: placement, signals: signals)
            })
            board.setJob(job, hosts: hosts, control: nil)
            let after = RunSnapshot.read(run)
            if watched.hasRecovered { failure = nil }
            events.record("exit", ["job": job, "exit_code": Int(ended.exitCode), "state": after.state ?? "unknown",
                                   "step": after.step ?? 0])
            if after.state == "finished" && ended.exitCode == 0 { return end(.finished, "the run finished") }
            if after.state == "stopped" && ended.exitCode == 0 {
                switch board.lastIntent {
                case .stop:
                    return end(.stopped, "stopped on request at step \(after.step ?? 0), after a checkpoint")
                case .pause:
                    board.setPaused(true)
                    say("launch: paused at step \(after.step ?? 0), after a checkpoint; qcs ctl \(run) resume goes on")
                    events.record("paused", ["step": after.step ?? 0])
                    continue
                case .reshape:
                    say("launch: job \(job) checkpointed at step \(after.step ?? 0) to change its hosts")
                    continue
                case .none:
                    // SIGUSR2 sent to mpirun or the ranks directly: someone stopped the run on purpose.
                    return end(.stopped, "stopped at step \(after.step ?? 0) by a signal sent to the job itself")
                }
            }
            if let exit = try await failed(job: job, ended: ended, after: after, placement: placement,
                                           resumeStep: resumeStep, failure: &failure) {
                return exit
            }
        }
    }

    /// After a job that did not finish: names the cause, sets its host aside, and waits before the
    /// next job, or returns how the supervisor ends.
    private func failed(job: Int, ended: (exitCode: Int32, lines: [String]), after: RunSnapshot, placement: JobPlacement,
                        resumeStep: Int, failure: inout (at: Date, step: Int)?) async throws -> LaunchExit? {
        let report = JobReport(exitCode: ended.exitCode, lines: ended.lines, runState: after.state, runStep: after.step,
                               runMessage: after.message, stalledSeconds: watched.stalledSeconds)
        let cause = report.cause(placement: placement)
        let step = after.step ?? resumeStep
        var line = "launch: job \(job) ended (exit \(ended.exitCode)): \(cause)"
        if let host = cause.host, board.hosts.contains(where: { $0.name == host }) {
            switch board.recordFailure(of: host) {
            case .setAside(let until):
                line += "; \(host) left out for \(Int(until.timeIntervalSinceNow.rounded())) s"
                events.record("host_out", ["host": host, "seconds": Int(until.timeIntervalSinceNow.rounded())])
            case .blacklisted(let until, let times):
                line += "; \(host) blacklisted for \(Int(until.timeIntervalSinceNow.rounded())) s (its second failure "
                    + "within \(Int(options.blacklistWindow)) s)"
                events.record("blacklist", ["host": host, "seconds": Int(until.timeIntervalSinceNow.rounded()), "times": times])
            }
        }
        let decision = policy.decide(after: cause, step: step, progressed: (after.step ?? 0) > resumeStep)
        board.noteEnd(restarts: policy.restarts, cause: cause)
        switch decision {
        case .giveUp(let code, let reason):
            say(line)
            return end(code, reason, cause: cause)
        case .restart(let wait):
            say(line + String(format: "; restart %d of %d in %.0f s", policy.restarts, policy.maxRestarts, wait))
            events.record("restart", ["job": job, "cause": "\(cause)", "host": cause.host ?? NSNull(), "step": step,
                                      "restarts": policy.restarts, "after_seconds": wait])
            failure = failure ?? (Date(), step)
            board.setPhase("waiting to restart")
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            return nil
        }
    }

    /// While paused: waits for `resume` (nil) or a stop (`.stopped`).
    private func holdWhilePaused(_ signals: SignalRequests) async throws -> LaunchExit? {
        while board.isPaused {
            if signals.stopRequest != nil || board.lastIntent == .stop {
                return end(.stopped, "stopped while paused, at the last checkpoint")
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        return nil
    }

    /// Records the end, says it, and returns its code.
    private func end(_ exit: LaunchExit, _ reason: String, cause: FailureCause? = nil) -> LaunchExit {
        var fields: [String: Any] = ["exit_code": Int(exit.rawValue), "reason": reason, "restarts": policy.restarts]
        if let cause { fields["cause"] = "\(cause)" }
        events.record("end", fields)
        board.setPhase("ended: \(exit.meaning)")
        say("launch: \(exit.meaning) (exit \(exit.rawValue))\(exit == .finished ? "" : ": \(reason)")")
        return exit
    }

    /// The hosts of the next job: usable and answering a probe, at most `maxHosts`; waits up to
    /// `waitForHosts` seconds for `minHosts` of them, saying so once a minute. Nil: too few.
    private func usableHosts(signals: SignalRequests) async throws -> [MPIHost]? {
        let deadline = Date().addingTimeInterval(options.waitForHosts)
        var lastSaid: Date?
        while true {
            let candidates = board.hosts.filter { board.isUsable($0.name) }
            let answers = await probe(candidates)
            for host in candidates where !answers.contains(host.name) { events.record("probe_failed", ["host": host.name]) }
            let answering = Array(candidates.filter { answers.contains($0.name) }.prefix(options.maxHosts ?? .max))
            if answering.count >= options.minHosts { return answering }
            if Date() >= deadline || signals.stopRequest != nil || board.lastIntent == .stop { return nil }
            if lastSaid.map({ Date().timeIntervalSince($0) >= 60 }) ?? true {
                let back = board.nextReturn().map { String(format: "; the next host left out returns in %.0f s", $0.timeIntervalSinceNow) }
                say("launch: \(answering.count) usable host(s) of the \(options.minHosts) needed (--min-hosts); waiting up to "
                    + "\(Int(deadline.timeIntervalSinceNow)) s more\(back ?? "")")
                lastSaid = Date()
            }
            board.setPhase("waiting for hosts")
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// The names of the hosts that answer a probe, all probed at once.
    private func probe(_ hosts: [MPIHost]) async -> Set<String> { await succeeding(hosts, ["version"]) }

    /// The names of the hosts on which one rank of `qcs ARGUMENTS` succeeds, all run at once,
    /// each bounded by --probe-timeout.
    private func succeeding(_ hosts: [MPIHost], _ arguments: [String]) async -> Set<String> {
        await withTaskGroup(of: String?.self) { group in
            for host in hosts {
                group.addTask { await self.options.job.runOnce(on: host, arguments, timeout: self.options.probeTimeout) ? host.name : nil }
            }
            var names = Set<String>()
            for await name in group { if let name { names.insert(name) } }
            return names
        }
    }

    /// Waits for every rank of the previous job to let go of the run directory (a rank can
    /// outlive mpirun's abort by a moment), up to `lockWait` seconds, saying so once. Before the
    /// first job (`adopting`) the holder may be the job of a supervisor that was killed: on this
    /// host it is asked to checkpoint and stop (SIGUSR2 to its rank 0, which stops every rank), and
    /// waited for as long as a hang would be (`stallSeconds`), so no step is lost and no second job
    /// starts beside it.
    private func waitForRunLock(adopting: Bool = false) async throws {
        let directory = URL(fileURLWithPath: run)
        guard let holder = RunLock.holder(of: directory) else { return }
        var wait = options.lockWait
        if adopting, let pid = Self.localPid(holder) {
            say("launch: a job already runs in \(run) (\(holder)), started before this supervisor: asking it to "
                + "checkpoint and stop, then going on from that checkpoint")
            events.record("adopt", ["holder": holder])
            kill(pid, SIGUSR2)
            wait = max(wait, options.stallSeconds)
        }
        say("launch: waiting up to \(Int(wait)) s for \(holder) to let go of the run directory")
        board.setPhase("waiting for the last job's ranks to exit")
        let deadline = Date().addingTimeInterval(wait)
        while RunLock.holder(of: directory) != nil {
            guard Date() < deadline else {
                throw LaunchError("\(RunLock.holder(of: directory) ?? holder) still holds \(run) after \(Int(wait)) s: "
                                  + "another training is using this run directory; stop it first")
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// The pid in a run lock's holder text (`pid 123 on HOST since …`) when HOST is this one.
    static func localPid(_ holder: String) -> pid_t? {
        let words = holder.split(separator: " ")
        guard words.count >= 4, words[0] == "pid", let pid = pid_t(words[1]), words[2] == "on",
              words[3] == HostName.current[...] else { return nil }
        return pid
    }

    /// Beside a running job: passes a stop request on, notes the first step after a restart (the
    /// recovery), and asks the job to checkpoint and stop when a host that was left out answers
    /// again, so the next job can take it.
    private func watch(placement: JobPlacement, signals: SignalRequests) async {
        var lastGrowCheck = Date()
        var endedAt: Date?
        while !Task.isCancelled {
            endedAt = endIfStalled(RunSnapshot.read(run), endedAt: endedAt)
            if signals.stopRequest != nil, board.ask(.stop) {
                say("launch: stop requested: every rank checkpoints after its current step and exits")
            }
            let snapshot = RunSnapshot.read(run)
            if snapshot.state == "training", let written = snapshot.written, written > watched.launchTime { board.markReady() }
            metrics?.publish(board.counts, run: snapshot)
            if let r = watched.check(snapshot) {
                metrics?.recovered(seconds: r.seconds)
                say(String(format: "launch: recovered: step %d done %.1f s after the failure (%d step(s) redone)",
                           r.step, r.seconds, r.redone))
                events.record("recovered", ["seconds": r.seconds, "steps_redone": r.redone, "step": r.step])
            }
            if board.lastIntent == .none, Date().timeIntervalSince(lastGrowCheck) >= options.growCheckSeconds {
                lastGrowCheck = Date()
                await growIfHostsReturned(placement)
            }
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// Ends a job that has written no step for `stallSeconds` (a hang: a link down, a rank stuck in
    /// a collective): SIGTERM to mpirun, then SIGKILL 10 s later if it is still there. Ranks whose
    /// mpirun is gone end themselves (LauncherWatch). Returns when it sent the SIGTERM.
    private func endIfStalled(_ snapshot: RunSnapshot, endedAt: Date?) -> Date? {
        guard options.stallSeconds > 0 else { return nil }
        if let endedAt {
            if Date().timeIntervalSince(endedAt) > 10 { board.signalJob(SIGKILL) }
            return endedAt
        }
        let last = max(snapshot.written ?? .distantPast, watched.launchTime)
        let quiet = Date().timeIntervalSince(last)
        guard snapshot.state != "finished", snapshot.state != "stopped", snapshot.state != "failed",
              quiet > options.stallSeconds else { return nil }
        watched.stalledSeconds = Int(quiet)
        say("launch: no step for \(Int(quiet)) s (--stall-seconds \(Int(options.stallSeconds))): ending the job, a hang "
            + "(a host's link down, a rank stuck); the next job runs on the hosts that answer a probe")
        events.record("stall", ["seconds": Int(quiet), "step": snapshot.step ?? 0])
        board.signalJob(SIGTERM)
        return Date()
    }

    private func growIfHostsReturned(_ placement: JobPlacement) async {
        let room = (options.maxHosts ?? .max) - placement.hosts.count
        let outside = board.hosts.filter { h in !placement.hosts.contains { $0.name == h.name } && board.isUsable(h.name) }
        guard room > 0, !outside.isEmpty else { return }
        let answers = await probe(outside)
        let back = Array(outside.map(\.name).filter { answers.contains($0) }.prefix(room))
        guard !back.isEmpty, board.ask(.reshape) else { return }
        say("launch: \(back.joined(separator: ", ")) answer\(back.count == 1 ? "s" : "") again: the job checkpoints and "
            + "stops, and the next one runs on \(placement.hosts.count + back.count) hosts")
        events.record("grow", ["hosts": back, "from": placement.hosts.count, "to": placement.hosts.count + back.count])
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

/// What the watcher of one job saw: the recovery after a failure (the first step the job
/// completes past the checkpoint it resumed from, and how long after the failure that was), and
/// whether it ended the job for making no progress.
final class JobWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: (at: Date, step: Int)?
    private var resumeStep = 0
    private var launched = Date()
    private var recovered = false
    private var stalled: Int?

    /// Seconds without a step after which the watcher ended the job (nil: it did not).
    var stalledSeconds: Int? {
        get { lock.withLock { stalled } }
        set { lock.withLock { stalled = newValue } }
    }

    var launchTime: Date { lock.withLock { launched } }

    func reset(failure: (at: Date, step: Int)?, resumeStep: Int) {
        lock.withLock {
            self.failure = failure
            self.resumeStep = resumeStep
            launched = Date()
            recovered = false
            stalled = nil
        }
    }

    var hasRecovered: Bool { lock.withLock { recovered } }

    /// Once, when this job has written a step past its checkpoint after a failure (status.json
    /// written since the launch: the failed job's last word does not count).
    func check(_ run: RunSnapshot) -> (step: Int, seconds: Double, redone: Int)? {
        lock.withLock {
            let from = run.resumedFrom ?? resumeStep
            guard !recovered, let failure, let step = run.step, step > from,
                  let written = run.written, written > launched else { return nil }
            recovered = true
            return (step, Date().timeIntervalSince(failure.at), max(0, failure.step - from))
        }
    }
}
