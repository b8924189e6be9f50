import ArgumentParser

extension QCSCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the engine against the machine's sgemm ceiling (see scripts/bench).")

        func run() throws {
            throw ValidationError("no benchmark modes yet")
        }
    }
}
