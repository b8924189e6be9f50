import ArgumentParser
import Foundation

/// Runs one of the PyTorch benchmark scripts under scripts/reference/ and reads the JSON object
/// it prints as its last line ({case: seconds or figure}).
struct TorchPeer {
    let python: String
    let script: String

    func run(_ arguments: [String]) throws -> [String: Double] {
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("PyTorch benchmark script not found at \(script); run from the repository root")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            throw ValidationError("cannot start \(python): \(error.localizedDescription)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(script) exited with status \(process.terminationStatus)")
        }
        let lastLine = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Double] else {
            throw ValidationError("\(script) printed no JSON result: \(lastLine)")
        }
        return object
    }
}
