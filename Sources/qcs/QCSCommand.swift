import ArgumentParser

@main
struct QCSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qcs",
        abstract: "Distributed trainer for the QCS facial-expression model (Quadruplet Cross Similarity, AAAI 2025).",
        discussion: """
        Run several ranks with mpirun (each holds the whole model). Start with `qcs bench engine`
        to see how fast this machine's engine is, or `scripts/demo` for a guided first run.
        """,
        version: "0.1.0",
        subcommands: [Version.self, Synth.self, DataCommand.self, Predict.self, Eval.self, Bench.self]
    )
}
