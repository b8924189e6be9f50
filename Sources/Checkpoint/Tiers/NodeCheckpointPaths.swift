import Foundation

/// Where a run's node-local checkpoints go: `TEMPLATE/<run id>/<host>/step-…/`, `{host}` in the
/// template replaced by the host name. The host is in the path even when the template has none,
/// so hosts that share a file system (the test hosts of one machine, or a local_dir on NFS)
/// never mix their shards; the run id keeps runs apart and is the same for every job of a run.
public struct NodeCheckpointPaths: Sendable, Equatable {
    public let runID: String

    public init(runID: String) { self.runID = runID }

    /// The run id of the run directory `path`: its name and a digest of its absolute path (every
    /// job of the run is given the same `--run-dir`).
    public init(runDirectory path: String) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in absolute.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let name = (absolute as NSString).lastPathComponent.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        runID = (name.isEmpty ? "run" : name) + "-" + String(hash >> 32, radix: 16)
    }

    /// The folder of `host`'s checkpoints under `template`.
    public func root(_ template: String, host: String) -> String {
        template.replacingOccurrences(of: "{host}", with: host) + "/" + runID + "/" + host
    }


    /// Removes `host`'s folder under `template`, and the run's folder above it once no host has one.
    public func remove(_ template: String, host: String) {
        let folder = root(template, host: host)
        try? FileManager.default.removeItem(atPath: folder)
        rmdir((folder as NSString).deletingLastPathComponent)
    }
}
