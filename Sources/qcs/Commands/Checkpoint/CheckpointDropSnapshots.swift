import ArgumentParser
import Checkpoint
import Distributed
import Foundation

extension QCSCommand.CheckpointCommand {
    struct DropSnapshots: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop-snapshots",
            abstract: "Remove this host's memory snapshots of a run (qcs launch does it on every host of a run it gives up).",
            discussion: """
            Removes MEMORY_DIR/RUN_ID/HOST, HOST being this machine's host name, and the run's folder once no \
            host has one. The run id and memory folder are in RUN/status.json under node_checkpoints. \
            Durable checkpoints are not touched.
            """)

        @Option(help: ArgumentHelp("checkpoint.memory_dir of the run ({host} allowed).", valueName: "dir"))
        var memoryDir: String

        @Option(help: ArgumentHelp("The run id (status.json: node_checkpoints.run_id).", valueName: "id"))
        var runId: String

        func validate() throws {
            guard !runId.isEmpty, !runId.contains("/"), runId != ".", runId != ".." else {
                throw ValidationError("--run-id '\(runId)' is not a run id (a name such as demo-1a2b3c4d, from status.json)")
            }
        }

        func run() throws {
            let paths = NodeCheckpointPaths(runID: runId)
            let host = HostName.current
            let folder = paths.root(memoryDir, host: host)
            guard FileManager.default.fileExists(atPath: folder) else {
                print("\(host): no memory snapshots of \(runId) in \(memoryDir)")
                return
            }
            paths.remove(memoryDir, host: host)
            print("\(host): removed \(folder)")
        }
    }
}
