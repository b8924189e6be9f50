import Checkpoint
import Foundation

/// What status.json says of a run's node-local checkpoints, so that `qcs checkpoint list` finds
/// them without the run's config: the folder templates, the run id and the hosts of the last job.
public struct NodeCheckpointRecord: Equatable {
    public static let key = "node_checkpoints"

    public var memoryDir: String?
    public var localDir: String?
    public var runID: String
    public var hosts: [String]

    var json: [String: Any] {
        var fields: [String: Any] = ["run_id": runID, "hosts": hosts]
        fields["memory_dir"] = memoryDir
        fields["local_dir"] = localDir
        return fields
    }

    /// The record in `RUN/status.json`, if the run has node-local checkpoints.
    public static func read(runDirectory: String) -> NodeCheckpointRecord? {
        guard let data = FileManager.default.contents(atPath: runDirectory + "/status.json"),
              let status = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let fields = status[key] as? [String: Any], let runID = fields["run_id"] as? String,
              let hosts = fields["hosts"] as? [String] else { return nil }
        return NodeCheckpointRecord(memoryDir: fields["memory_dir"] as? String, localDir: fields["local_dir"] as? String,
                                    runID: runID, hosts: hosts)
    }

    /// The folders of each tier on each host, as (tier, host, folder).
    public var folders: [(tier: CheckpointTier, host: String, folder: String)] {
        let paths = NodeCheckpointPaths(runID: runID)
        return [(CheckpointTier.memory, memoryDir), (.local, localDir)].flatMap { tier, template in
            template.map { t in hosts.map { (tier, $0, paths.root(t, host: $0)) } } ?? []
        }
    }
}
