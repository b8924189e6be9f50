import Foundation

/// What the supervisor's loop, the watcher of its running job and its control socket share, under
/// one lock: the hosts and their health, what the current job is, and what the operator asked for.
/// The loop decides; the socket only records requests (and passes a signal to the running job).
final class SupervisorBoard: @unchecked Sendable {
    /// Why the supervisor asked the running job to checkpoint and stop.
    enum Intent: Equatable {
        case none
        /// The run ends (SIGTERM/SIGINT to the supervisor, `qcs ctl stop`).
        case stop
        /// The run waits for `resume`, the supervisor alive.
        case pause
        /// The next job runs on other hosts (one came back, one is drained).
        case reshape
    }

    private let lock = NSLock()
    private var hostList: [MPIHost]
    private var health: HostHealth
    private var intent = Intent.none
    private var paused = false
    private var control: MPIRunJob.Control?
    /// Whether the running job's ranks have said they are training, and so handle SIGUSR1/2: a
    /// signal sent before that would kill them instead.
    private var ready = false
    private var jobHosts: [MPIHost] = []
    private var job = 0
    private var phase = "starting"
    private var restarts = 0
    private var lastCause: String?
    private let runDirectory: String

    init(hosts: [MPIHost], health: HostHealth, runDirectory: String) {
        hostList = hosts
        self.health = health
        self.runDirectory = runDirectory
    }

    var hosts: [MPIHost] { lock.withLock { hostList } }

    func isUsable(_ host: String, at now: Date = Date()) -> Bool { lock.withLock { health.isUsable(host, at: now) } }

    func recordFailure(of host: String) -> HostHealth.Verdict { lock.withLock { health.recordFailure(of: host, at: Date()) } }

    func nextReturn() -> Date? { lock.withLock { health.nextReturn(after: Date()) } }

    func setPhase(_ text: String) { lock.withLock { phase = text } }

    /// (restarts so far, hosts usable now, hosts in the running job), for the metrics.
    var counts: (restarts: Int, usable: Int, inJob: Int) {
        lock.withLock {
            let now = Date()
            return (restarts, hostList.filter { health.isUsable($0.name, at: now) }.count, jobHosts.count)
        }
    }

    func noteEnd(restarts: Int, cause: FailureCause?) {
        lock.withLock {
            self.restarts = restarts
            if let cause { lastCause = "\(cause)" }
        }
    }

    /// A job started (its signal channel) or ended (nil).
    func setJob(_ number: Int, hosts: [MPIHost], control: MPIRunJob.Control?) {
        lock.withLock {
            job = number
            jobHosts = control == nil ? [] : hosts
            self.control = control
            ready = false
            if control != nil { intent = .none; phase = "starting" }
        }
    }

    /// The job's ranks are training (they have written the run's status since it was launched):
    /// from now on signals reach handlers, and a stop asked for while it started is sent.
    func markReady() {
        lock.withLock {
            guard control != nil, !ready else { return }
            ready = true
            phase = "running"
            if intent != .none { control?.signal(SIGUSR2) }
        }
    }

    /// Asks the running job to checkpoint and stop for `wanted`, unless a stronger reason was
    /// already sent (stop over pause over reshape); true when this sent the signal.
    @discardableResult
    func ask(_ wanted: Intent) -> Bool {
        lock.withLock {
            let rank: [Intent: Int] = [.none: 0, .reshape: 1, .pause: 2, .stop: 3]
            guard rank[wanted]! > rank[intent]! else { return false }
            let first = intent == .none
            intent = wanted
            if first && ready { control?.signal(SIGUSR2) }
            return true
        }
    }

    /// Sends `sig` to the running job's mpirun, if one runs.
    func signalJob(_ sig: Int32) { lock.withLock { control?.signal(sig) } }

    /// What the last job was asked to stop for.
    var lastIntent: Intent { lock.withLock { intent } }

    var isPaused: Bool { lock.withLock { paused } }
    func setPaused(_ value: Bool) { lock.withLock { paused = value; phase = value ? "paused" : phase } }

    /// The answer to one control request (`ok: …` or `error: …`).
    func handle(_ line: String) -> String {
        switch ControlCommand.parse(line) {
        case .failure(let error): return "error: \(error)"
        case .success(let command): return handle(command)
        }
    }

    func handle(_ command: ControlCommand) -> String {
        switch command {
        case .status:
            let run = RunSnapshot.read(runDirectory)
            return lock.withLock {
                var text = "ok: \(phase)"
                if !jobHosts.isEmpty { text += ", job \(job) on \(jobHosts.map(\.description).joined(separator: ","))" }
                text += "; run \(run.state ?? "not started") at step \(run.step ?? 0); \(restarts) restart(s)"
                if let lastCause { text += "; last failure: \(lastCause)" }
                return text
            }
        case .checkpoint:
            return lock.withLock {
                guard let control else { return "error: no job is running (\(phase)); nothing to checkpoint" }
                guard ready else { return "error: job \(job) is starting (its ranks cannot take signals yet); ask again in a moment" }
                control.signal(SIGUSR1)
                return "ok: checkpoint asked: every rank writes one after its current step, and the run goes on"
            }
        case .stop:
            if isPaused {
                lock.withLock { intent = .stop }
                return "ok: stopping: the run is paused at its checkpoint; the supervisor ends (exit 2)"
            }
            ask(.stop)
            return "ok: stopping: every rank checkpoints after its current step, then the supervisor ends (exit 2)"
        case .pause:
            if isPaused { return "ok: already paused; qcs ctl … resume starts it again" }
            let running = lock.withLock { control != nil }
            if !running {
                setPaused(true)
                return "ok: paused before the next job; qcs ctl … resume starts it"
            }
            ask(.pause)
            return "ok: pausing: every rank checkpoints after its current step; the supervisor waits for resume"
        case .resume:
            guard isPaused || lastIntent == .pause else { return "error: the run is not paused (\(lock.withLock { phase }))" }
            lock.withLock { paused = false; if intent == .pause { intent = .reshape } }
            return "ok: resuming: the next job starts from the last checkpoint"
        case .drain(let name):
            return lock.withLock {
                guard hostList.contains(where: { $0.name == name }) else {
                    return "error: \(name) is not one of the hosts (\(hostList.map(\.name).joined(separator: ", ")))"
                }
                health.drain(name)
                guard jobHosts.contains(where: { $0.name == name }), let control else {
                    return "ok: \(name) drained: no job runs on it; it stays out until qcs ctl … add \(name)"
                }
                if intent == .none {
                    intent = .reshape
                    if ready { control.signal(SIGUSR2) }
                }
                return "ok: draining \(name): the job checkpoints and stops, and the next one runs without it"
            }
        case .add(let host):
            return lock.withLock {
                health.undrain(host.name)
                if let i = hostList.firstIndex(where: { $0.name == host.name }) {
                    hostList[i].slots = host.slots
                    return "ok: \(host) back among the hosts; a running job takes it at its next probe"
                }
                hostList.append(host)
                return "ok: \(host) added; a running job takes it at its next probe"
            }
        case .hosts:
            let now = Date()
            return lock.withLock {
                "ok: \(hostList.count) host(s)\n" + hostList.map { host in
                    let record = health.records[host.name]
                    let state: String
                    if jobHosts.contains(where: { $0.name == host.name }) {
                        state = "in job \(job)"
                    } else if record?.drained == true {
                        state = "drained"
                    } else if let until = record?.outUntil, until > now {
                        state = String(format: "%@ for %.0f s more", (record?.blacklistings ?? 0) > 0 ? "blacklisted" : "left out",
                                       until.timeIntervalSince(now))
                    } else {
                        state = "usable"
                    }
                    return "  \(host.description.padding(toLength: 24, withPad: " ", startingAt: 0)) \(state)"
                }.joined(separator: "\n")
            }
        }
    }
}
