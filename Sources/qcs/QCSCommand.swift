import ArgumentParser

@main
struct QCSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qcs",
        abstract: "Distributed trainer for the QCS facial-expression model (Quadruplet Cross Similarity, AAAI 2025).",
        discussion: """
        A first run with no download: `qcs synth --out data/synthetic` draws a data set of faces, \
        `qcs train --config Configs/synthetic.yaml --data-root data/synthetic --run-dir runs/demo` trains on it, \
        then `qcs eval` and `qcs predict` use the weights in runs/demo/weights/. scripts/demo does all of it.

        Several ranks: mpirun -np N qcs ... (each rank holds the whole model).
        """,
        version: "0.1.0",
        subcommands: [Synth.self, DataCommand.self, Train.self, Status.self, CheckpointCommand.self, Predict.self, Eval.self, Bench.self,
                      Version.self]
    )

    static func main() {
        main(NegativeNumberArguments.joined(Array(CommandLine.arguments.dropFirst())))
    }
}
