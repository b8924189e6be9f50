import ArgumentParser
import Checkpoint
import Foundation

extension QCSCommand.CheckpointCommand {
    struct Reshard: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite a checkpoint as the shards of another number of ranks.",
            discussion: """
            Not needed to resume at another world size (`qcs train --resume` reads any), but useful \\
            to hand a run to a cluster with M ranks whose nodes each read only their own shard. The \\
            new checkpoint is written like a training save (temporary directory, manifest last, \\
            rename), so OUT is either complete or absent. It holds the same values, cursor and config.
              qcs checkpoint reshard runs/demo --world-size 8 --out runs/demo8/checkpoints/step-000001200
            """)

        @Argument(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var directory: String

        @Option(help: "Number of shards (ranks) of the new checkpoint.")
        var worldSize: Int

        @Option(help: ArgumentHelp("The new checkpoint directory (must not exist).", valueName: "dir"))
        var out: String

        func validate() throws {
            guard worldSize >= 1 else { throw ValidationError("--world-size must be at least 1") }
            if FileManager.default.fileExists(atPath: out) {
                throw ValidationError("\(out) exists: give a new directory for the resharded checkpoint")
            }
        }

        func run() throws {
            let dir = try QCSCommand.CheckpointCommand.resolve(directory)
            let contents = try CheckpointContents(directory: dir)
            if let smallest = contents.manifest.buffers.filter({ !$0.isPerRank }).min(by: { $0.count < $1.count }),
               smallest.count < worldSize {
                throw ValidationError("--world-size \(worldSize) is more than the \(smallest.count) values of buffer "
                                      + "'\(smallest.name)': every rank must hold a part of every buffer")
            }
            let dropped = try contents.reshard(worldSize: worldSize, into: out)
            let problems = try ShardedCheckpoint.verify(out)
            guard problems.isEmpty else {
                for p in problems { StandardError.print("BAD \(p)") }
                throw ExitCode.failure
            }
            print("wrote \(out): step \(contents.manifest.step), \(contents.manifest.worldSize) -> \(worldSize) shards")
            if !dropped.isEmpty {
                print("left out \(dropped.joined(separator: ", ")): per-rank compression state, which a run at "
                      + "\(worldSize) ranks starts afresh")
            }
        }
    }
}
