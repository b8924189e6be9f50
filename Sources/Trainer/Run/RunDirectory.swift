import Foundation

/// The files a training run leaves for its operator, all under one directory:
///   status.json    the latest state (atomically replaced: a reader never sees half a file)
///   metrics.jsonl  one JSON object per logged step or evaluation, appended
///   weights/       exported weights with official names (`latest.safetensors`, `epoch-NNN.safetensors`)
public final class RunDirectory {
    public let url: URL
    private let metrics: FileHandle

    public var weightsURL: URL { url.appendingPathComponent("weights") }
    public var latestWeights: URL { weightsURL.appendingPathComponent("latest.safetensors") }

    public init(path: String) throws {
        url = URL(fileURLWithPath: path)
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: url.appendingPathComponent("weights"), withIntermediateDirectories: true)
        } catch {
            throw RunError.cannotCreate(path: path, reason: error.localizedDescription)
        }
        let metricsURL = url.appendingPathComponent("metrics.jsonl")
        if !fm.fileExists(atPath: metricsURL.path) { _ = fm.createFile(atPath: metricsURL.path, contents: nil) }
        guard let handle = try? FileHandle(forWritingTo: metricsURL) else {
            throw RunError.cannotCreate(path: metricsURL.path, reason: "cannot open for appending")
        }
        handle.seekToEndOfFile()
        metrics = handle
    }

    deinit { try? metrics.close() }

    /// Appends one record to metrics.jsonl.
    public func appendMetrics(_ record: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        metrics.write(data)
        metrics.write(Data("\n".utf8))
    }

    /// Replaces status.json atomically (write a temporary file, then rename over the old one).
    public func writeStatus(_ status: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: status, options: [.sortedKeys, .prettyPrinted])
        try data.write(to: url.appendingPathComponent("status.json"), options: .atomic)
    }

    /// Path for the weights exported after `epoch` (1-based in names, as people count epochs).
    public func epochWeights(_ epoch: Int) -> URL {
        weightsURL.appendingPathComponent(String(format: "epoch-%03d.safetensors", epoch + 1))
    }
}

/// Problems with a run that are not a config or data error.
public enum RunError: Error, CustomStringConvertible {
    /// The run directory (or a file in it) cannot be created or written.
    case cannotCreate(path: String, reason: String)
    /// The data set has no images in a split the run needs.
    case emptySplit(split: String, dataset: String)

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason):
            return "cannot write the run directory \(path): \(reason). Check the path and its permissions."
        case .emptySplit(let split, let dataset):
            return "the \(split) split of \(dataset) has no images; check data.root and the list files (qcs data check)."
        }
    }
}
