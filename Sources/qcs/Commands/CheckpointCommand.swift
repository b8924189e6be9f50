import ArgumentParser
import Checkpoint
import Foundation

extension QCSCommand {
    struct CheckpointCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Look into and check the sharded checkpoints of a run (RUN/checkpoints/step-N/).",
            subcommands: [Inspect.self, Verify.self])

        /// A checkpoint directory, or a run directory (its newest checkpoint, as `latest` names it).
        static func resolve(_ path: String) -> String {
            let fm = FileManager.default
            if fm.fileExists(atPath: path + "/manifest.json") { return path }
            for root in [path + "/checkpoints", path] {
                if let latest = try? String(contentsOfFile: root + "/latest", encoding: .utf8) {
                    return root + "/" + latest.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return path
        }
    }
}

extension QCSCommand.CheckpointCommand {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a checkpoint's step, world size, buffers, shard sizes and training cursor.")

        @Argument(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var directory: String

        func run() throws {
            let dir = QCSCommand.CheckpointCommand.resolve(directory)
            let m = try CheckpointManifest.read(dir)
            print("checkpoint \(dir): step \(m.step), written by \(m.worldSize) rank\(m.worldSize == 1 ? "" : "s"), "
                  + "format \(m.formatVersion)")
            for b in m.buffers { print("  " + b.name.padding(toLength: 28, withPad: " ", startingAt: 0) + "\(b.count) values") }
            let bytes = m.shards.reduce(0) { $0 + $1.summary.bytes }, raw = m.shards.reduce(0) { $0 + $1.summary.rawBytes }
            print(String(format: "  %d shards, %.1f MiB on disk for %.1f MiB of values (%.2fx)", m.shards.count,
                         Double(bytes) / 1_048_576, Double(raw) / 1_048_576, Double(raw) / Double(max(bytes, 1))))
            if let state = m.metadata["state"] { print("  cursor: \(state)") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every shard of a checkpoint against its manifest (size, SHA-256).",
            discussion: "Exit status: 0 every shard is whole, 1 a shard (each is named) or the manifest is missing, short or corrupt.")

        @Argument(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var directory: String

        func run() throws {
            let dir = QCSCommand.CheckpointCommand.resolve(directory)
            let problems: [CheckpointError]
            do { problems = try ShardedCheckpoint.verify(dir) } catch {
                StandardError.print("error: \(error)")
                throw ExitCode.failure
            }
            guard problems.isEmpty else {
                for p in problems { print("BAD \(p)") }
                throw ExitCode.failure
            }
            let m = try CheckpointManifest.read(dir)
            print("ok: \(dir): \(m.shards.count == 1 ? "its shard matches" : "all \(m.shards.count) shards match") the manifest")
        }
    }
}
