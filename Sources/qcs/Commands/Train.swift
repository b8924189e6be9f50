import ArgumentParser
import Checkpoint
import Foundation
import Trainer

extension QCSCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a QCS model from a config file.",
            discussion: """
            Writes into --run-dir: status.json (current state), metrics.jsonl (one line per step and \
            per epoch), weights/epoch-NNN.safetensors and weights/latest.safetensors (official names, \
            usable by `qcs predict` and `qcs eval`).

            Signals: SIGUSR1 exports weights and continues; SIGTERM or SIGINT export and exit 0.

            Example: qcs train --config Configs/synthetic.yaml --data-root data/synthetic --run-dir runs/demo
            """)

        @Option(help: "The run's configuration file (see Configs/README.md).")
        var config: String

        @Option(help: "Replaces data.root of the config.")
        var dataRoot: String?

        @Option(help: "Directory for status, metrics and weights (created if missing).")
        var runDir: String

        @Option(help: "Start from these weights (safetensors with official names).")
        var initWeights: String?

        @Flag(help: "With --init-weights: load only the IR-50 backbone (ir_back.*), e.g. from an AffectNet-8 model.")
        var backboneOnly = false

        @Option(help: "Override train.epochs of the config.")
        var epochs: Int?

        @Option(help: "Log a progress line every N steps.")
        var logEvery = 10

        func validate() throws {
            if backboneOnly && initWeights == nil { throw ValidationError("--backbone-only needs --init-weights") }
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
            if logEvery < 1 { throw ValidationError("--log-every must be at least 1") }
        }

        func run() throws {
            var cfg = try TrainingConfig.load(path: config, dataRoot: dataRoot)
            if let epochs { cfg.run.epochs = epochs }
            var options = TrainingRun.Options(runDirectory: runDir)
            options.initialWeights = initWeights
            options.initialScope = backboneOnly ? .backbone : .wholeModel
            options.logEvery = logEvery
            let outcome = try TrainingRun(config: cfg, options: options) { line in
                print(line)
                fflush(stdout)
            }.run()
            if case .stopped = outcome { throw ExitCode.success }
        }
    }
}
