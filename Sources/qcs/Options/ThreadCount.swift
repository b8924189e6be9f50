import ArgumentParser
import Autograd

/// `--threads N` of every command, held to the engine's one bound.
enum ThreadCount {
    static func validate(_ threads: Int?) throws {
        if let threads, let problem = ComputePool.threadCountProblem(threads, allowsAutomatic: false) {
            throw ValidationError("--threads \(problem)")
        }
    }
}
