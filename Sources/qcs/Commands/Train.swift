import ArgumentParser
import Checkpoint
import Distributed
import Foundation
import Trainer

extension QCSCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a QCS model from a config file, on one process or on every rank of mpirun.",
            discussion: """
            Writes into --run-dir: status.json (current state), metrics.jsonl (one line per step and \
            per epoch), weights/epoch-NNN.safetensors and weights/latest.safetensors (official names, \
            usable by `qcs predict` and `qcs eval`).

            Several ranks: `mpirun -np N qcs train ...` is one training job. Every rank holds the model \
            and computes its share of each global batch (train.batch_size quadruplets over all ranks); \
            gradients are averaged over the ranks while backward runs. Rank 0 prints and writes the run \
            directory; the other ranks speak only about their own problems ("rank R: ..."). \
            The distributed section of the config sets bucket size, exact batch statistics and rank \
            weights (Configs/README.md).

            Checkpoints: RUN/checkpoints/step-N/ (every rank writes its shard; docs/CHECKPOINTS.md), at each \
            epoch end, every --checkpoint-every steps, on signals and at --max-steps; the newest \
            checkpoint.keep (3) and the best evaluated one are kept. \
            --resume auto continues the run from the newest complete one, at any number of ranks. A directory \
            that holds a run is never trained into again without --resume.

            Signals: SIGUSR1 writes a checkpoint and continues; SIGUSR2, SIGTERM or SIGINT write one and \
            exit 0; all ranks act at the same step. Under mpirun send SIGUSR2 to stop: mpirun forwards \
            SIGUSR1/2 at once, but passes SIGTERM on only after --mca odls_base_sigkill_timeout seconds \
            (default 1) and kills the ranks as long after that (docs/CHECKPOINTS.md, Preemption).

            Watching a run: `qcs status RUN` from any shell (state, speed, ETA, last checkpoint, each rank's step \
            time); --metrics-port for Prometheus; RUN/plots/ (loss, accuracy, confusion matrix) redrawn at each \
            evaluation; --log-file keeps rank 0's lines. Warnings name a rank that is much slower than the \
            others or waits for its data.

            Exit codes: 0 finished or stopped by a signal; 1 the run failed (a rank's error, a \
            non-finite loss, ranks that disagree); 64 bad usage, or an error in the config or the data set \
            (the same at every start: qcs launch does not restart for it).

            Example: qcs train --config Configs/synthetic.yaml --data-root data/synthetic --run-dir runs/demo
            """)

        @OptionGroup var configOptions: ConfigOptions
        @OptionGroup var precisionOption: PrecisionOption

        @Option(help: ArgumentHelp("Directory for status, metrics and weights (created if missing).", valueName: "dir"))
        var runDir: String

        @Option(help: ArgumentHelp("Start from these weights (safetensors with official names).", valueName: "file"))
        var initWeights: String?

        @Flag(help: "With --init-weights: load only the IR-50 backbone (ir_back.*), e.g. from an AffectNet-8 model.")
        var backboneOnly = false

        @Flag(help: ArgumentHelp("With --init-weights: train even when the file fills under 90 % of the model's tensors "
                                 + "(the rest keep their fresh initialisation)."))
        var allowPartial = false

        @Option(help: "Override train.epochs of the config.")
        var epochs: Int?

        @Option(help: "Stop after N optimiser steps (global steps, over all ranks), exporting weights as at the end.")
        var maxSteps: Int?

        @Option(help: ArgumentHelp("Continue a run: `auto` takes the newest complete checkpoint in --run-dir "
                                   + "(falling back to older ones; starting fresh when the run has none, stopping "
                                   + "with each problem named when every one is damaged); or a checkpoint directory.",
                                   valueName: "auto|dir"))
        var resume: String?

        @Option(help: ArgumentHelp("Also write a checkpoint every N steps (they are always written at epoch ends, "
                                   + "on SIGUSR1, SIGTERM/SIGINT and at --max-steps); sets checkpoint.every."))
        var checkpointEvery: Int?

        @Option(help: ArgumentHelp("Keep a progress line every N steps (on a terminal a status line also shows "
                                   + "every step in place)."))
        var logEvery = 10

        @Option(help: ArgumentHelp("How much rank 0 says, and each rank writes to RUN/logs/rank-RRRRR.log: error, "
                                   + "warning, info (progress, epochs, checkpoints) or debug (also a line per step; "
                                   + "in the rank logs, each rank's own losses in full precision).", valueName: "level"))
        var logLevel = LogLevel.info

        @Option(help: ArgumentHelp("Also append rank 0's lines, with their times, to this file.", valueName: "file"))
        var logFile: String?

        @Option(help: ArgumentHelp("Serve Prometheus metrics (step, loss, accuracy, lr, speed, bytes sent, compression, "
                                   + "checkpoint age) from rank 0 at http://HOST:PORT/metrics.", valueName: "port"))
        var metricsPort: Int?

        @Option(help: ArgumentHelp("Address the metrics endpoint listens on; 0.0.0.0 opens it to every interface.",
                                   valueName: "ipv4"))
        var metricsHost = "127.0.0.1"

        func validate() throws {
            if backboneOnly && initWeights == nil { throw ValidationError("--backbone-only needs --init-weights") }
            if allowPartial && initWeights == nil { throw ValidationError("--allow-partial needs --init-weights") }
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
            if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
            if logEvery < 1 { throw ValidationError("--log-every must be at least 1") }
            _ = try EngineEnvironment.options()
            if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
            if let metricsPort, !(0...65535).contains(metricsPort) {
                throw ValidationError("--metrics-port must be a TCP port, 1 to 65535 (0: any free one)")
            }
        }

        func run() throws {
            let world = try ProcessWorld(concurrentThreads: true)
            let comm = world.communicator
            do {
                let cfg = try configOptions.load([
                    .init(flag: "--epochs", key: "train.epochs", value: epochs.map(String.init)),
                    .init(flag: "--checkpoint-every", key: "checkpoint.every", value: checkpointEvery.map(String.init)),
                    .init(flag: "--precision", key: "train.precision", value: precisionOption.precision?.rawValue),
                ])
                var options = TrainingRun.Options(runDirectory: runDir)
                options.initialWeights = initWeights
                options.initialScope = backboneOnly ? .backbone : .wholeModel
                options.allowPartialInitialWeights = allowPartial
                options.logEvery = logEvery
                options.maxSteps = maxSteps
                options.resume = resume.map { $0 == "auto" ? .auto : .directory($0) }
                options.metricsPort = metricsPort
                options.metricsHost = metricsHost
                options.logLevel = logLevel.level
                options.faults = .fromEnvironment()
                options.engine = try EngineEnvironment.options()
                // Reported and saved: a teardown that hangs (threads that will not end) must not keep the job.
                options.teardownDeadline = 60
                // Only rank 0 speaks; the other ranks' console stays silent (and opens no log file).
                let console = try RunConsole(level: logLevel.level, logFile: comm.isLeader ? logFile : nil)
                try TrainingRun(config: cfg, options: options, communicator: comm, sink: console).run()
                try world.finish()
            } catch where RunError.isCollective(error) {
                // Every rank stopped at the same point: rank 0 says why, all exit in order.
                if comm.isLeader { StandardError.print("error: \(error)") }
                try? world.finish()
                throw ExitCode.failure
            } catch {
                // A config or data error: the same at every start, so exit 64 (as for bad usage) and a
                // supervisor does not start the run again for it.
                let input = RunError.isInputError(error)
                guard comm.size > 1 else {
                    guard input else { throw error }
                    StandardError.print("Error: \(error)")
                    throw ExitCode.validationFailure
                }
                // Only this rank knows: say so and bring the job down rather than leave the others waiting.
                StandardError.print("rank \(comm.rank): \(error)\nrank \(comm.rank): ending the whole job (MPI_Abort)")
                comm.abort(code: input ? ExitCode.validationFailure.rawValue : 1)
            }
        }
    }
}
