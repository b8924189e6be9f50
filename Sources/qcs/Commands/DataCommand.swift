import ArgumentParser

extension QCSCommand {
    struct DataCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Look at a data set before training on it.",
            subcommands: [Check.self])
    }
}
