import ArgumentParser
import Autograd
import Foundation

/// The engine's switches (`EngineOptions`) from this process's environment: read by a command
/// before it builds its compute pool, an unknown value a usage error before any work.
enum EngineEnvironment {
    static func options() throws -> EngineOptions {
        do {
            return try EngineOptions(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
