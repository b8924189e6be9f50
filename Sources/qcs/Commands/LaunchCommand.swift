import ArgumentParser
import Foundation
import Launch
import Trainer

extension QCSCommand {
    struct Launch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep a training run going: qcs train under mpirun, started again on the hosts left when a rank or host fails.",
            discussion: """
            One supervisor per run directory, on the launch node. It runs `qcs train --run-dir RUN --resume auto \
            ARGS` (ARGS: everything after --) under mpirun on the usable hosts, and when the job fails it works \
            out why (which rank and host, the signal or exit code, a lost host, the run's own error), leaves the \
            failing host out for --host-cooldown seconds (blacklisted, for twice as long each time, after two \
            failures within --blacklist-window), and starts the run again from its last checkpoint on the hosts \
            that answer a probe (`qcs version` on one rank), after 1, 2, 4 … seconds. When a host that was left \
            out answers again, the job checkpoints and stops (SIGUSR2) and the next one runs on more hosts. \
            train.batch_size is the global batch, so the run trains the same at every size.

            Hosts: --hosts h1:2,h2:2, --hostfile FILE (Open MPI's form), or the Slurm allocation it runs in \
            (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE). mpirun options pass through (--mca, --mpirun-options), as \
            does Open MPI's OMPI_MCA_* environment. SIGTERM or SIGINT to the supervisor checkpoint and stop the run. \
            Its record: RUN/launch/events.jsonl (one JSON object a line).

            Commands while it runs: qcs ctl RUN status | checkpoint | stop | pause | resume | drain HOST | \
            add HOST[:SLOTS] | hosts, through RUN/launch/control.sock (mode 0600: only the run's owner).

            Exit codes: 0 the run finished; 2 stopped on request after a checkpoint (start again to continue); \
            3 fewer usable hosts than --min-hosts for --wait-for-hosts seconds; 4 --max-restarts used up; \
            5 a failure a restart cannot fix (a config or data error, or the same failure at the same step twice); \
            1 the supervisor itself failed; 64 bad usage.

            Example: qcs launch --run-dir /shared/runs/raf --hosts n1:2,n2:2,n3:2 --min-hosts 2 \
            --mca btl_tcp_if_include=10.0.0.0/24 -- --config /shared/raf.yaml --data-root /data/RAF-DB
            """)

        @Option(help: ArgumentHelp("The run directory (on storage every host sees); given to every qcs train.", valueName: "dir"))
        var runDir: String

        @Option(help: ArgumentHelp("Hosts and their rank slots, name[:slots] separated by commas.", valueName: "h1:2,h2"))
        var hosts: String?

        @Option(help: ArgumentHelp("An Open MPI hostfile: one host a line, `name slots=N`.", valueName: "file"))
        var hostfile: String?

        @Option(help: "Fewest hosts a job runs on; with fewer usable it waits (--wait-for-hosts).")
        var minHosts = 1

        @Option(help: "Most hosts a job runs on (default: every usable one).")
        var maxHosts: Int?

        @Option(help: "Restarts allowed over the whole run.")
        var maxRestarts = 10

        @Option(help: ArgumentHelp("Seconds to wait for --min-hosts usable hosts before giving up.", valueName: "seconds"))
        var waitForHosts = 600.0

        @Option(help: ArgumentHelp("Two failures of a host within this many seconds blacklist it.", valueName: "seconds"))
        var blacklistWindow = 600.0

        @Option(help: ArgumentHelp("Seconds a failed host is left out before a probe may take it back (doubled for each blacklisting).",
                                   valueName: "seconds"))
        var hostCooldown = 60.0

        @Option(help: ArgumentHelp("Seconds a host's probe may take before it counts as not answering.", valueName: "seconds"))
        var probeTimeout = 30.0

        @Option(help: ArgumentHelp("End a job that completes no step for this many seconds, as hung (a link down, a rank "
                                   + "stuck); 0: never. Above a step plus a checkpoint save, and the first step's setup.",
                                   valueName: "seconds"))
        var stallSeconds = 600.0

        @Option(help: ArgumentHelp("Seconds between probes of left-out hosts while a job runs (to grow it back).",
                                   valueName: "seconds"))
        var growCheck = 10.0

        @Option(help: ArgumentHelp("Serve the supervisor's Prometheus series on this port of 127.0.0.1 (0: any free one): "
                                   + "qcs_restarts_total, qcs_hosts_healthy, qcs_hosts_in_job, qcs_last_recovery_seconds, "
                                   + "qcs_goodput_ratio.", valueName: "port"))
        var metricsPort: Int?

        @Option(name: .customLong("mca"), help: ArgumentHelp("An Open MPI MCA parameter for mpirun (repeatable).", valueName: "key=value"))
        var mcaParameters: [String] = []

        @Option(help: ArgumentHelp("More mpirun options, as one string split at spaces.", valueName: "options"))
        var mpirunOptions: String?

        @Option(help: ArgumentHelp("The mpirun to run.", valueName: "path"))
        var mpirun = "mpirun"

        @Option(help: ArgumentHelp("The qcs binary the ranks run (default: this one), at the same path on every host.",
                                   valueName: "path"))
        var qcs: String?

        @Argument(parsing: .postTerminator, help: ArgumentHelp("qcs train's options (after --).", valueName: "train-options"))
        var trainOptions: [String] = []

        func validate() throws {
            guard minHosts >= 1 else { throw ValidationError("--min-hosts must be at least 1") }
            if let maxHosts, maxHosts < minHosts { throw ValidationError("--max-hosts \(maxHosts) is below --min-hosts \(minHosts)") }
            guard maxRestarts >= 0 else { throw ValidationError("--max-restarts must be 0 or more") }
            for (name, value) in [("--wait-for-hosts", waitForHosts), ("--blacklist-window", blacklistWindow),
                                  ("--host-cooldown", hostCooldown), ("--probe-timeout", probeTimeout), ("--grow-check", growCheck),
                                  ("--stall-seconds", stallSeconds)] {
                guard value.isFinite, value >= 0 else { throw ValidationError("\(name) must be a number of seconds, 0 or more") }
            }
            if hosts != nil && hostfile != nil { throw ValidationError("give --hosts or --hostfile, not both") }
            for word in trainOptions where ["--run-dir", "--resume"].contains(word.split(separator: "=").first.map(String.init)) {
                throw ValidationError("qcs launch gives qcs train \(word) itself (--run-dir from its own, --resume auto); "
                                      + "leave it out of the options after --")
            }
            if let metricsPort, !(0...65535).contains(metricsPort) {
                throw ValidationError("--metrics-port must be a TCP port, 1 to 65535 (0: any free one)")
            }
            for parameter in mcaParameters where !parameter.contains("=") {
                throw ValidationError("--mca \(parameter): write key=value")
            }
            _ = try hostList()
        }

        func hostList() throws -> [MPIHost] {
            do {
                if let hosts { return try HostList.parse(hosts) }
                if let hostfile {
                    guard let text = try? String(contentsOfFile: hostfile, encoding: .utf8) else {
                        throw ValidationError("--hostfile \(hostfile): cannot be read as text")
                    }
                    return try HostList.hostfile(text, source: hostfile)
                }
                let environment = ProcessInfo.processInfo.environment
                if let nodes = environment["SLURM_JOB_NODELIST"] {
                    return try HostList.slurm(nodeList: nodes, tasksPerNode: environment["SLURM_TASKS_PER_NODE"])
                }
            } catch let error as HostListError {
                throw ValidationError(error.description)
            }
            throw ValidationError("no hosts: give --hosts h1:2,h2:2 or --hostfile FILE, or run inside a Slurm allocation")
        }

        func run() throws {
            // SIGTERM, SIGINT and SIGUSR2 stop the run from now on (not the default: killing the supervisor).
            let signals = SignalRequests()
            let hosts = try hostList()
            try FileManager.default.createDirectory(atPath: runDir + "/launch", withIntermediateDirectories: true)
            let supervisorLock: RunLock
            do {
                supervisorLock = try RunLock(directory: URL(fileURLWithPath: runDir + "/launch"))
            } catch RunError.runDirectoryInUse(_, let holder) {
                throw ValidationError("another qcs launch supervises \(runDir) (\(holder)); one supervisor per run directory")
            }
            var passThrough = mcaParameters.flatMap { p -> [String] in
                let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
                return ["--mca", parts[0], parts[1]]
            }
            passThrough += (mpirunOptions ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
            let binary = qcs ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            let job = MPIRunJob(mpirun: mpirun, mpirunOptions: passThrough, qcs: binary,
                                rankArguments: ["train", "--run-dir", runDir, "--resume", "auto"] + trainOptions)
            var options = LaunchOptions(runDirectory: runDir, hosts: hosts, job: job)
            options.minHosts = minHosts
            options.maxHosts = maxHosts
            options.waitForHosts = waitForHosts
            options.blacklistWindow = blacklistWindow
            options.hostCooldown = hostCooldown
            options.probeTimeout = probeTimeout
            options.growCheckSeconds = growCheck
            options.stallSeconds = stallSeconds
            let metrics = metricsPort.map { _ in MetricsBoard() }
            let server = try metricsPort.map { try MetricsServer(host: "127.0.0.1", port: $0, board: metrics!) }
            defer { server?.stop() }
            if let server { print("launch: metrics on http://\(server.host):\(server.port)/metrics") }
            let supervisor = LaunchSupervisor(options: options, events: try LaunchEventLog(runDirectory: runDir),
                                              policy: RestartPolicy(maxRestarts: maxRestarts), metrics: metrics) { line in
                print(line)
                fflush(stdout)
            }
            let socket = try ControlSocket(path: runDir + "/launch/control.sock") { line in supervisor.control(line) }
            defer { socket.close() }
            print("launch: supervising \(runDir) on \(hosts.map(\.description).joined(separator: ",")) "
                  + "(at least \(minHosts) host\(minHosts == 1 ? "" : "s"), up to \(maxRestarts) restarts); "
                  + "record in \(runDir)/launch/events.jsonl")
            fflush(stdout)
            let exit = try AsyncBridge.wait { try await supervisor.run(signals: signals) }
            withExtendedLifetime(supervisorLock) {}
            if exit != .finished { throw ExitCode(exit.rawValue) }
        }
    }
}
