import Checkpoint
import Foundation

/// The run as its directory tells it at one moment: status.json's state, step and message, when
/// the file was last written (its modification time, finer than the whole seconds it records),
/// and the step of the checkpoint a `--resume auto` would take.
struct RunSnapshot: Sendable {
    var state: String?
    var step: Int?
    var message: String?
    var written: Date?
    var stepsPerSecond: Double?
    /// The step the job that wrote it started from (memory snapshots may be newer than `checkpointStep`).
    var resumedFrom: Int?

    static func read(_ runDirectory: String) -> RunSnapshot {
        let path = runDirectory + "/status.json"
        guard let data = FileManager.default.contents(atPath: path),
              let fields = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return RunSnapshot() }
        let written = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        return RunSnapshot(state: fields["state"] as? String, step: fields["step"] as? Int, message: fields["message"] as? String,
                           written: written, stepsPerSecond: fields["steps_per_second"] as? Double,
                           resumedFrom: fields["resumed_from_step"] as? Int)
    }

    /// The step of the newest checkpoint the run directory points to (0: none yet).
    static func checkpointStep(_ runDirectory: String) -> Int {
        guard let directory = CheckpointLocation.resolve(runDirectory),
              let manifest = try? CheckpointManifest.read(directory) else { return 0 }
        return manifest.step
    }
}
