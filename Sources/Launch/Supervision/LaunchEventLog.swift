import Foundation

/// `RUN/launch/events.jsonl`: one JSON object a line for each thing the supervisor does or
/// sees (launch, exit and its cause, a host set aside or back, restart, recovery, the end), with
/// the time. Appended and flushed line by line, so a killed supervisor loses at most the line it
/// was writing, and a reader never sees half a record (each line is one write).
public final class LaunchEventLog: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()

    public init(runDirectory: String) throws {
        let folder = runDirectory + "/launch"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw LaunchError("cannot create \(folder): \((error as NSError).localizedDescription)")
        }
        path = folder + "/events.jsonl"
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw LaunchError("cannot create \(path)")
            }
        }
    }

    /// Appends `{"time": …, "event": event, …fields}`.
    public func record(_ event: String, _ fields: [String: Any] = [:]) {
        var object = fields
        // Milliseconds: recoveries are timed from these stamps (scripts/chaos).
        let stamp = ISO8601DateFormatter()
        stamp.formatOptions.insert(.withFractionalSeconds)
        object["time"] = stamp.string(from: Date())
        object["event"] = event
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        lock.withLock {
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: data + Data("\n".utf8))
        }
    }

    /// Every record so far, oldest first (lines that do not parse are skipped).
    public static func records(runDirectory: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: runDirectory + "/launch/events.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

/// A supervisor problem said as one sentence (the hosts, the run directory, mpirun).
public struct LaunchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
