import Foundation

/// Where a path given on a command line leads to a sharded checkpoint: a checkpoint directory
/// itself, a checkpoints folder (the checkpoint its `latest` names), or a run directory (that of
/// its `checkpoints/` folder).
public enum CheckpointLocation {
    /// The checkpoint directory `path` stands for, or nil when it leads to none.
    public static func resolve(_ path: String) -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/manifest.json") { return path }
        for root in [path + "/checkpoints", path] {
            if let latest = try? String(contentsOfFile: root + "/latest", encoding: .utf8) {
                return root + "/" + latest.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }
}
