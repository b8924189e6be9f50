import ArgumentParser
import Checkpoint
import Foundation
import Trainer

extension QCSCommand.CheckpointCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a run's checkpoints in every tier: memory snapshots, local checkpoints, the run directory.",
            discussion: """
            For each checkpoint: its step, whether the shards this machine can see make it complete, and \
            for node-local ones which host wrote each shard and which hosts keep a copy. Node-local \
            folders are found from RUN/status.json (the last job's hosts and the checkpoint section); \
            a host's memory or disk that this machine cannot see counts as missing here, though a \
            resume on that host would find it. docs/CHECKPOINTS.md, "Tiers".
            """)

        @Argument(help: ArgumentHelp("The run directory.", valueName: "run"))
        var runDirectory: String

        func run() throws {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("\(runDirectory) is not a folder: give the run directory (--run-dir of qcs train)")
            }
            let shared = runDirectory + "/checkpoints"
            var folders = [(name: shared, found: ReachableCheckpoint.scan(shared, tier: .shared).found)]
            let record = NodeCheckpointRecord.read(runDirectory: runDirectory)
            for place in record?.folders ?? [] {
                folders.append((place.host, ReachableCheckpoint.scan(place.folder, tier: place.tier).found))
            }
            let catalog = CheckpointCatalog(folders)
            let latest = (try? String(contentsOfFile: shared + "/latest", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            for tier in CheckpointTier.allCases {
                let entries = catalog.entries.filter { $0.tier == tier }
                switch tier {
                case .shared: print("checkpoints in \(shared):")
                case .memory:
                    guard let dir = record?.memoryDir else { continue }
                    print("memory snapshots (\(dir), run \(record!.runID), hosts \(record!.hosts.joined(separator: ", "))):")
                case .local:
                    guard let dir = record?.localDir else { continue }
                    print("local checkpoints (\(dir), run \(record!.runID), hosts \(record!.hosts.joined(separator: ", "))):")
                }
                if entries.isEmpty { print("  none") }
                for e in entries {
                    let mark = tier == .shared && (e.directory as NSString).lastPathComponent == latest ? " (latest)" : ""
                    print("  " + CheckpointCatalog.describe(e) + mark)
                }
            }
        }
    }
}
