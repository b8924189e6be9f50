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

            Exit codes: 0 finished or stopped by a signal; 1 the run failed (a rank's error, a \
            non-finite loss, ranks that disagree); 64 bad usage.

            Example: qcs train --config Configs/synthetic.yaml --data-root data/synthetic --run-dir runs/demo
            """)

        @OptionGroup var configOptions: ConfigOptions

        @Option(help: ArgumentHelp("Directory for status, metrics and weights (created if missing).", valueName: "dir"))
        var runDir: String

        @Option(help: ArgumentHelp("Start from these weights (safetensors with official names).", valueName: "file"))
        var initWeights: String?

        @Flag(help: "With --init-weights: load only the IR-50 backbone (ir_back.*), e.g. from an AffectNet-8 model.")
        var backboneOnly = false

        @Option(help: "Override train.epochs of the config.")
        var epochs: Int?

        @Option(help: "Stop after N optimiser steps (global steps, over all ranks), exporting weights as at the end.")
        var maxSteps: Int?

        @Option(help: ArgumentHelp("Continue a run: `auto` takes the newest complete checkpoint in --run-dir "
                                   + "(falling back to older ones, or starting fresh when there is none); or a "
                                   + "checkpoint directory.", valueName: "auto|dir"))
        var resume: String?

        @Option(help: ArgumentHelp("Also write a checkpoint every N steps (they are always written at epoch ends, "
                                   + "on SIGUSR1, SIGTERM/SIGINT and at --max-steps); sets checkpoint.every."))
        var checkpointEvery: Int?

        @Option(help: "Log a progress line every N steps.")
        var logEvery = 10

        func validate() throws {
            if backboneOnly && initWeights == nil { throw ValidationError("--backbone-only needs --init-weights") }
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
            if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
            if logEvery < 1 { throw ValidationError("--log-every must be at least 1") }
            if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
        }

        func run() throws {
            let world = try ProcessWorld(concurrentThreads: true)
            let comm = world.communicator
            do {
                var overrides: [String: String] = [:]
                overrides["train.epochs"] = epochs.map(String.init)
                overrides["checkpoint.every"] = checkpointEvery.map(String.init)
                let cfg = try configOptions.load(overrides: overrides)
                var options = TrainingRun.Options(runDirectory: runDir)
                options.initialWeights = initWeights
                options.initialScope = backboneOnly ? .backbone : .wholeModel
                options.logEvery = logEvery
                options.maxSteps = maxSteps
                options.resume = resume.map { $0 == "auto" ? .auto : .directory($0) }
                try TrainingRun(config: cfg, options: options, communicator: comm) { line in
                    print(line)
                    fflush(stdout)
                }.run()
                try world.finish()
            } catch let error as RunError where error.isCollective {
                // Every rank stopped at the same point: rank 0 says why, all exit in order.
                if comm.isLeader { StandardError.print("error: \(error)") }
                try? world.finish()
                throw ExitCode.failure
            } catch {
                guard comm.size > 1 else { throw error }
                // Only this rank knows: say so and bring the job down rather than leave the others waiting.
                StandardError.print("rank \(comm.rank): \(error)\nrank \(comm.rank): ending the whole job (MPI_Abort)")
                comm.abort(code: 1)
            }
        }
    }
}
