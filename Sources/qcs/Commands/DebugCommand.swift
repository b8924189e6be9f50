import ArgumentParser
import Foundation
import Trainer

extension QCSCommand {
    struct Debug: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tools for a multi-process run that went wrong (README, \"Debugging a multi-process run\").",
            subcommands: [Replay.self])
    }
}

extension QCSCommand.Debug {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-run one rank's forward and backward for the steps after a checkpoint, in one process.",
            discussion: """
            No MPI and no other rank is needed: each step is rank R's first SAM pass at the checkpoint's \
            parameters (its slice of the global batch, the same augmentations and dropout masks as in the \
            run), with no update. Per step it prints the loss sums exactly as the rank's debug log \
            (--log-level debug) printed them, the gradient norm over this rank's samples (the log's \
            gradient_norm is over every rank's), and, when a NaN or infinity appears, the input image that \
            holds it, the first op whose output is non-finite with its inputs, the first op handed a \
            non-finite gradient, and the parameters whose gradients are non-finite. Run it under a debugger \
            to stop there. The figures do not depend on --threads.

            The run's configuration comes from the checkpoint; --data-root points at its data set when it \
            has moved, and --set changes a key for the replay only (to see whether bf16 is the cause: \
            --set train.precision=fp32).
              qcs debug replay --checkpoint runs/demo --rank 1 --steps 3

            Exit status: 0 every value finite, 1 the replay could not run (the checkpoint, the data set), \
            3 a non-finite value was found, 64 bad usage.
            """)

        @Option(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var checkpoint: String

        @Option(help: "The rank to replay.")
        var rank: Int

        @Option(help: "The world size the steps after the checkpoint ran at (default: the checkpoint's).")
        var worldSize: Int?

        @Option(help: "How many steps to replay, from the checkpoint's cursor on.")
        var steps = 1

        @Option(help: "Compute threads (default: train.threads, else every core).")
        var threads: Int?

        @Option(help: ArgumentHelp("Read the data set from this folder instead of the run's data.root.", valueName: "dir"))
        var dataRoot: String?

        @Option(name: .customLong("set"), parsing: .singleValue,
                help: ArgumentHelp("Replace one of the run's config keys for the replay (repeatable).", valueName: "key=value"))
        var settings: [String] = []

        func validate() throws {
            guard rank >= 0 else { throw ValidationError("--rank must be 0 or more") }
            if let worldSize, worldSize < 1 { throw ValidationError("--world-size must be at least 1") }
            guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
            try ThreadCount.validate(threads)
            _ = try ConfigOptions.overrides(settings)
            _ = try EngineEnvironment.options()
        }

        func run() throws {
            var options = StepReplay.Options(checkpoint: checkpoint, rank: rank)
            options.worldSize = worldSize
            options.steps = steps
            options.threads = threads
            options.dataRoot = dataRoot
            options.overrides = try ConfigOptions.overrides(settings)
            options.faults = .fromEnvironment()
            options.engine = try EngineEnvironment.options()
            let replay = try StepReplay(options)
            let s = replay.start
            print("replay: rank \(replay.rank) of \(replay.worldSize) from \(replay.directory) (after step \(s.globalStep)), "
                  + "\(replay.threads) compute thread\(replay.threads == 1 ? "" : "s"), "
                  + "\(replay.config.run.precision.rawValue); every step at the checkpoint's parameters")
            for note in replay.notes { print("replay: note: \(note)") }
            var replayed = 0, nonFinite = 0
            try replay.run { step in
                for line in step.lines { print(line) }
                fflush(stdout)
                replayed += 1
                if !step.isFinite { nonFinite += 1 }
            }
            if replayed < replay.steps { print("replay: the run ends after \(replayed) of the \(replay.steps) steps asked for") }
            guard nonFinite == 0 else {
                print("replay: \(nonFinite) of \(replayed) steps hold a non-finite value")
                throw ExitCode(3)
            }
        }
    }
}
