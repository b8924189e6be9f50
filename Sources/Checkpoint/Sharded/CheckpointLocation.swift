import Foundation

/// Where a path given on a command line leads to a sharded checkpoint: a checkpoint directory
/// itself, the `latest` pointer file, a checkpoints folder or a run directory (both: the
/// checkpoint their `latest` names). Every command that takes a checkpoint (inspect, verify,
/// export, reshard, eval, predict, replay, `train --resume DIR`) finds it here, so all accept
/// the same paths and refuse the others with the same reasons.
public enum CheckpointLocation {
    /// The checkpoint directory `path` stands for.
    /// - Throws: `CheckpointError.notACheckpoint` saying what `path` is instead.
    public static func checkpoint(_ path: String) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.notACheckpoint(path: path, reason: "no such file or directory")
        }
        if !isDirectory.boolValue {
            guard (path as NSString).lastPathComponent == pointerName else {
                throw CheckpointError.notACheckpoint(path: path, reason: "a file, not a checkpoint directory (a checkpoint is "
                                                     + "a folder like RUN/checkpoints/step-000001200)")
            }
            return try follow(pointer: path)
        }
        if fm.fileExists(atPath: path + "/manifest.json") { return path }
        for folder in [path, path + "/checkpoints"] where fm.fileExists(atPath: folder + "/" + pointerName) {
            return try follow(pointer: folder + "/" + pointerName)
        }
        if fm.fileExists(atPath: path + "/status.json") {
            if keepsCheckpointsOnNodes(runDirectory: path) {
                throw CheckpointError.notACheckpoint(path: path, reason: "a run whose checkpoints are kept on its nodes "
                                                     + "(checkpoint.local_dir, memory snapshots), not in its run directory; "
                                                     + "`qcs checkpoint list \(path)` shows each one and which hosts hold its "
                                                     + "shards: give a step-N folder that holds them all")
            }
            throw CheckpointError.notACheckpoint(path: path, reason: "a run directory that holds no checkpoint yet "
                                                 + "(none was written before it stopped)")
        }
        throw CheckpointError.manifestMissing(directory: path)
    }

    /// The checkpoint directory `path` stands for, or nil when it leads to none.
    public static func resolve(_ path: String) -> String? { try? checkpoint(path) }

    static let pointerName = "latest"

    /// Whether the run's status.json says it keeps checkpoints on its nodes (its `node_checkpoints` record).
    private static func keepsCheckpointsOnNodes(runDirectory: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: runDirectory + "/status.json"),
              let status = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return status["node_checkpoints"] != nil
    }

    /// The checkpoint the pointer file at `path` names, beside it.
    private static func follow(pointer path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CheckpointError.notACheckpoint(path: path, reason: "the pointer to the newest checkpoint cannot be read")
        }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let target = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
        guard !name.isEmpty, !name.contains("/"), FileManager.default.fileExists(atPath: target + "/manifest.json") else {
            throw CheckpointError.notACheckpoint(path: path, reason: "it names '\(name)', which is not a checkpoint there "
                                                 + "(deleted, or never finished); --resume auto falls back to the newest "
                                                 + "complete one, or name a step-N directory")
        }
        return target
    }
}
