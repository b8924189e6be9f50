import ArgumentParser
import BuildInfo
import Foundation

@main
struct QCSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qcs",
        abstract: "Distributed trainer for the QCS facial-expression model (Quadruplet Cross Similarity, AAAI 2025).",
        discussion: """
        Every process holds the whole model; under mpirun (or srun) the processes are the ranks of one \
        training job, rank 0 speaks and writes the run directory. Without a launcher a command runs as one \
        process.

        First run, no download: scripts/demo (draws faces, trains on 2 ranks, evaluates). By hand:
          qcs synth --out data/synthetic
          scripts/mpirun -np 2 qcs train --config Configs/synthetic.yaml --data-root data/synthetic --run-dir runs/demo
          qcs status runs/demo --watch          (from another shell)
          qcs eval --config Configs/synthetic.yaml --data-root data/synthetic --checkpoint runs/demo
          qcs predict --config Configs/synthetic.yaml --checkpoint runs/demo face.jpg

        Configs/README.md lists every config key; --set key=value replaces one on any command that reads a config.
        """,
        version: QCSVersion.description,
        subcommands: [Synth.self, DataCommand.self, Train.self, Launch.self, Ctl.self, Status.self, CheckpointCommand.self, Predict.self, Eval.self, Bench.self,
                      Debug.self,
                      Version.self]
    )

    /// Parses, then runs the command. A usage error the command finds itself while running (two
    /// options that disagree) is said alone, without the top-level usage the parser would add.
    static func main() {
        let arguments = NegativeNumberArguments.joined(Array(CommandLine.arguments.dropFirst()))
        if let problem = CommandSuggestion.problem(Self.self, arguments) {
            StandardError.print("Error: " + problem)
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ValidationError {
            StandardError.print("Error: \(error.message)")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
        Foundation.exit(0)
    }
}
