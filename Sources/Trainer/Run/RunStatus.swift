import Checkpoint
import Foundation

/// What `qcs status` says about a run directory: its state, where it is, how fast it goes, when
/// it finishes, its best evaluation, its last checkpoint and every rank's step time, from
/// status.json and whether a live process holds the directory's lock.
public struct RunStatus {
    public let directory: URL
    let fields: [String: Any]
    /// The live training process holding the directory, nil when none does.
    let holder: String?

    public init(directory path: String) throws {
        directory = URL(fileURLWithPath: path)
        let file = directory.appendingPathComponent("status.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw Problem(text: "\(path) holds no status.json: is it a run directory (the --run-dir of qcs train)?")
        }
        guard let fields = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Problem(text: "\(file.path) is not a JSON object; qcs writes it whole, so something else changed it")
        }
        self.fields = fields
        holder = RunLock.holder(of: directory)
    }

    /// Seconds without an update after which a run that says "training" but holds no lock is
    /// called dead, and one that holds it is called stalled.
    static let quietSeconds = 120.0

    public func text(now: Date = Date()) -> String {
        let state = fields["state"] as? String ?? "unknown"
        let updated = (fields["updated"] as? String).flatMap(Self.date)
        let age = updated.map { now.timeIntervalSince($0) }
        var lines: [String] = []
        var headline = "\(directory.path): \(state)"
        if let age { headline += " (updated \(Self.ago(age)))" }
        if state == "training" {
            if holder == nil {
                headline += ": no process holds the run any more, it ended without saying so (killed?); "
                    + (newestCheckpoint.map { "qcs train --resume auto continues it from step \($0.step)" }
                       ?? "it wrote no checkpoint, so qcs train --resume auto starts it over from step 0")
            } else if let age, age > max(Self.quietSeconds, 20 / max(fields["steps_per_second"] as? Double ?? 1, 1e-3)) {
                headline += ": no step for \(ProgressMeter.duration(age)) (hung? a rank waiting on another?)"
            }
        }
        lines.append(headline)
        if let holder { lines.append("  process: \(holder)") }
        if let message = fields["message"] as? String { lines.append("  message: \(message)") }
        let step = fields["step"] as? Int ?? 0, total = fields["total_steps"] as? Int ?? 0
        var position = "  epoch \(fields["epoch"] as? Int ?? 0)/\(fields["epochs"] as? Int ?? 0), step \(step)"
        if total > 0 { position += String(format: "/%d (%.0f %%)", total, 100 * Double(step) / Double(total)) }
        if let loss = fields["loss"] as? Double { position += String(format: ", loss %.4f", loss) }
        lines.append(position)
        if let rate = fields["steps_per_second"] as? Double {
            var speed = String(format: "  speed: %.2f steps/s", rate)
            if let q = fields["quadruplets_per_second"] as? Double { speed += String(format: ", %.1f quadruplets/s", q) }
            if let eta = fields["eta_seconds"] as? Double { speed += ", ETA " + ProgressMeter.duration(eta) }
            lines.append(speed)
        }
        if let best = fields["best_test_accuracy"] as? Double { lines.append(String(format: "  best test accuracy: %.4f", best)) }
        if let c = fields["last_checkpoint"] as? [String: Any], let dir = c["directory"] as? String {
            var text = "  last checkpoint: \(dir) (step \(c["step"] as? Int ?? 0)"
            if let written = (c["written"] as? String).flatMap(Self.date) { text += ", \(Self.ago(now.timeIntervalSince(written)))" }
            lines.append(text + ")")
        } else if let newest = newestCheckpoint {
            lines.append("  last checkpoint: \(newest.directory) (step \(newest.step), written before this process started)")
        } else {
            lines.append("  last checkpoint: none yet")
        }
        if let ranks = fields["ranks"] as? [[String: Any]], !ranks.isEmpty {
            let slow = fields["slow_rank"] as? Int
            lines.append("  per rank (mean of the last steps, seconds): step = compute + exchange + data")
            for r in ranks {
                let rank = r["rank"] as? Int ?? -1
                func s(_ key: String) -> Double { r[key] as? Double ?? 0 }
                lines.append(String(format: "    rank %d: %.3f = %.3f + %.3f + %.3f%@", rank, s("step_s"), s("compute_s"),
                                    s("exchange_s"), s("data_s"), rank == slow ? "   <- slow" : ""))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The checkpoint a resume would take first, as the disk has it (status.json names only those
    /// the last process wrote).
    var newestCheckpoint: (directory: String, step: Int)? {
        guard let directory = CheckpointLocation.resolve(self.directory.path),
              let manifest = try? CheckpointManifest.read(directory) else { return nil }
        return (directory, manifest.step)
    }

    public struct Problem: Error, CustomStringConvertible {
        public let text: String
        public var description: String { text }
    }

    static func date(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    static func ago(_ seconds: Double) -> String { ProgressMeter.duration(max(seconds, 0)) + " ago" }
}
