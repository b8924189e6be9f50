import ArgumentParser
import Checkpoint
import Foundation
import Trainer

extension QCSCommand {
    struct CheckpointCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Look into, check, export and reshard the sharded checkpoints of a run (RUN/checkpoints/step-N/).",
            discussion: """
            Every DIR may be a checkpoint directory (RUN/checkpoints/step-000001200), a run's \
            checkpoints folder or the run directory: the last two stand for the newest checkpoint \
            (the one RUN/checkpoints/latest names). Layout and guarantees: docs/CHECKPOINTS.md.
            """,
            subcommands: [List.self, Inspect.self, Verify.self, Export.self, Reshard.self, DropSnapshots.self])

        /// A checkpoint directory, its `latest` pointer, a checkpoints folder or a run directory
        /// (its newest checkpoint).
        static func resolve(_ path: String) throws -> String { try CheckpointLocation.checkpoint(path) }
    }
}

extension QCSCommand.CheckpointCommand {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a checkpoint's step, world size, buffers, shard sizes and training cursor.")

        @Argument(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var directory: String

        @Flag(name: .customLong("config"), help: "Also list every configuration key the run used.")
        var showConfig = false

        func run() throws {
            let dir = try QCSCommand.CheckpointCommand.resolve(directory)
            let m = try CheckpointManifest.read(dir)
            print("checkpoint \(dir): step \(m.step), written by \(m.worldSize) rank\(m.worldSize == 1 ? "" : "s"), "
                  + "format \(m.formatVersion)")
            for b in m.buffers {
                print("  " + b.name.padding(toLength: 36, withPad: " ", startingAt: 0) + "\(b.count) values"
                      + (b.isPerRank ? " (per rank: each rank's own, for \(m.worldSize) ranks only)" : ""))
            }
            if let layout = m.metadata["compression_state"] { print("  compression state: \(layout)") }
            // Sizes as the files are, not as the manifest says they should be: a difference is named.
            var bytes = 0
            for shard in m.shards {
                let path = dir + "/" + shard.file
                guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
                    print("  \(shard.file): missing (qcs checkpoint verify checks every shard)")
                    continue
                }
                bytes += size
                if size != shard.summary.bytes {
                    print("  \(shard.file): \(size) bytes where the manifest records \(shard.summary.bytes) "
                          + "(qcs checkpoint verify checks every shard)")
                }
            }
            let raw = m.shards.reduce(0) { $0 + $1.summary.rawBytes }
            print(String(format: "  %d shards, %.1f MiB on disk for %.1f MiB of values (%.2fx)", m.shards.count,
                         Double(bytes) / 1_048_576, Double(raw) / 1_048_576, Double(raw) / Double(max(bytes, 1))))
            if let state = m.metadata["state"] { print("  cursor: \(state)") }
            if let version = m.metadata["qcs_version"] {
                print("  written by qcs \(version)" + (m.metadata["qcs_commit"].map { " (commit \($0.prefix(12)))" } ?? ""))
            }
            if let config = TrainingCheckpoint.savedConfiguration(m) {
                let keys = ["model.preset", "model.embed_dim", "model.image_size", "data.kind", "data.root", "optim.optimizer",
                            "optim.lr", "optim.sam_rho", "train.batch_size", "train.epochs", "train.seed"]
                print("  config: " + keys.compactMap { k in config[k].map { "\(k) \($0)" } }.joined(separator: ", "))
                print("          (\(config.count) keys in all: qcs checkpoint inspect --config lists them)")
                if showConfig { for (k, v) in config.sorted(by: { $0.key < $1.key }) { print("    \(k): \(v)") } }
            }
            let evaluations = [("this checkpoint's weights", "test_accuracy"), ("last evaluation", "last_test_accuracy"),
                               ("best evaluation", "best_test_accuracy")]
                .compactMap { name, key in m.metadata[key].flatMap(Double.init).map { String(format: "%@ %.4f", name, $0) } }
            if !evaluations.isEmpty { print("  test accuracy: " + evaluations.joined(separator: ", ")) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every shard of a checkpoint against its manifest (size, SHA-256).",
            discussion: "Exit status: 0 every shard is whole, 1 a shard (each is named) or the manifest is missing, short or corrupt.")

        @Argument(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var directory: String

        func run() throws {
            let dir = try QCSCommand.CheckpointCommand.resolve(directory)
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
