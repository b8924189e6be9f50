import Distributed
import Config
import DataPipeline
import Foundation

/// The files a training run leaves for its operator, all under one directory:
///   status.json    the latest state (atomically replaced: a reader never sees half a file)
///   metrics.jsonl  one JSON object per logged step or evaluation, appended
///   weights/       exported weights with official names (`latest.safetensors`, `epoch-NNN.safetensors`)
///   .lock          held by the live run (`RunLock`), naming its pid and host
public final class RunDirectory {
    public let url: URL
    private let metrics: FileHandle
    /// Held for the life of the run: a second training into the same directory is refused.
    private let lock: RunLock

    public var weightsURL: URL { url.appendingPathComponent("weights") }
    public var latestWeights: URL { weightsURL.appendingPathComponent("latest.safetensors") }
    public var metricsURL: URL { Self.metricsFile(in: url) }
    public var plotsURL: URL { url.appendingPathComponent("plots") }

    /// - Parameters:
    ///   - lockWait: seconds to wait for a holder of the lock that is exiting (`RunLock`).
    ///   - say: how the wait is announced.
    public init(path: String, lockWait: TimeInterval = 0, say: (String) -> Void = { _ in }) throws {
        url = URL(fileURLWithPath: path)
        let fm = FileManager.default
        // Foundation's own error for these is "NSCocoaErrorDomain error 512": say what is in the way.
        var isDirectory: ObjCBool = false
        for (place, what) in [(path, "the run directory"), (url.appendingPathComponent("weights").path, "its weights folder")]
        where fm.fileExists(atPath: place, isDirectory: &isDirectory) && !isDirectory.boolValue {
            throw RunError.cannotCreate(path: place, reason: "a file is there, not a directory; give --run-dir a new or "
                                        + "existing directory for \(what)")
        }
        var parent = url.deletingLastPathComponent()
        while !fm.fileExists(atPath: parent.path, isDirectory: &isDirectory) && parent.path != "/" {
            parent = parent.deletingLastPathComponent()
        }
        if !isDirectory.boolValue {
            throw RunError.cannotCreate(path: path, reason: "\(parent.path) is a file, so no directory can be made below it")
        }
        do {
            try fm.createDirectory(at: url.appendingPathComponent("weights"), withIntermediateDirectories: true)
        } catch {
            throw RunError.cannotCreate(path: path, reason: error.localizedDescription)
        }
        lock = try RunLock(directory: url, waiting: lockWait, say: say)
        let metricsURL = Self.metricsFile(in: url)
        if !fm.fileExists(atPath: metricsURL.path) { _ = fm.createFile(atPath: metricsURL.path, contents: nil) }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: metricsURL) } catch {
            throw RunError.cannotCreate(path: metricsURL.path, reason: "cannot open for appending: \(error.localizedDescription)")
        }
        handle.seekToEndOfFile()
        metrics = handle
    }

    deinit { try? metrics.close() }

    /// "state at step N" of the run this directory already holds (from status.json), or nil.
    public var previousRunState: String? {
        guard let data = FileManager.default.contents(atPath: url.appendingPathComponent("status.json").path),
              let status = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return "\(status["state"] as? String ?? "unknown state") at step \(status["step"] as? Int ?? 0)"
    }

    /// Appends one record to metrics.jsonl (non-finite numbers become null: JSON has no NaN).
    static func metricsFile(in directory: URL) -> URL { directory.appendingPathComponent("metrics.jsonl") }

    public func appendMetrics(_ record: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: Self.jsonSafe(record), options: [.sortedKeys]) else { return }
        metrics.write(data)
        metrics.write(Data("\n".utf8))
    }

    /// Drops the records of steps after `step` (a resumed run does them again), so the file holds
    /// each step once. Records are appended in step order, so those form its tail. Returns how
    /// many were dropped.
    public func dropMetrics(after step: Int) throws -> Int {
        let data = try Data(contentsOf: metricsURL)
        var offset = 0, cut: Int?, dropped = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            defer { offset += line.count + 1 }
            guard !line.isEmpty else { continue }
            let recorded = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["step"] as? Int
            if cut == nil, let recorded, recorded > step { cut = offset }
            if cut != nil { dropped += 1 }
        }
        guard let cut else { return 0 }
        try metrics.truncate(atOffset: UInt64(cut))
        try metrics.seekToEnd()
        return dropped
    }

    /// Replaces status.json atomically (write a temporary file, then rename over the old one).
    public func writeStatus(_ status: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: Self.jsonSafe(status), options: [.sortedKeys, .prettyPrinted])
        try data.write(to: url.appendingPathComponent("status.json"), options: .atomic)
    }

    /// Replaces `latest.safetensors` with a copy of `file` (copied beside it, then renamed over it:
    /// a reader sees the old file or the new one, never half of one).
    public func pointLatest(at file: URL) throws {
        let temporary = weightsURL.appendingPathComponent(".latest.safetensors.tmp")
        let fm = FileManager.default
        do {
            try? fm.removeItem(at: temporary)
            try fm.copyItem(at: file, to: temporary)
            guard rename(temporary.path, latestWeights.path) == 0 else {
                throw RunError.cannotCreate(path: latestWeights.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.cannotCreate(path: latestWeights.path, reason: error.localizedDescription)
        }
    }

    /// `record` with every non-finite Double replaced by null.
    static func jsonSafe(_ record: [String: Any]) -> [String: Any] {
        record.mapValues { value in
            if let d = value as? Double, !d.isFinite { return NSNull() }
            if let f = value as? Float, !f.isFinite { return NSNull() }
            return value
        }
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
    /// Ranks could not do their part of a step (each has printed why, prefixed with its rank).
    case ranksFailed(ranks: [Int], step: Int)
    /// Another live training holds the run directory (`RunLock`).
    case runDirectoryInUse(path: String, holder: String)
    /// A checkpoint cannot be resumed by this configuration.
    case resumeMismatch(directory: String, reason: String)
    /// `--resume auto` found checkpoints, none of them complete.
    case noCompleteCheckpoint(directory: String, problems: [String])
    /// The run directory holds a run already and no `--resume` was given.
    case runDirectoryHoldsARun(path: String, state: String)
    /// A loss or gradient norm was NaN or infinite under `train.on_nonfinite: stop`.
    /// `lossRanks`: those whose own loss was non-finite; `checkpoint`: the newest one, to replay from.
    case nonFinite(step: Int, ranks: [Int], lossRanks: [Int], checkpoint: (directory: String, step: Int)?)
    /// `--init-weights` filled too little of the model and `--allow-partial` was not given
    /// (every rank read the same file and found the same).
    case partialInitialWeights(path: String, share: Double, report: String)
    /// `--init-weights` holds NaN or infinite values in these tensors (every rank read the same file).
    case nonFiniteInitialWeights(path: String, tensors: [String])
    /// The update of `step` left a parameter or statistic non-finite (replicas are identical, so
    /// every rank finds it); nothing after it was saved or exported.
    case updateNotFinite(step: Int, checkpoint: (directory: String, step: Int)?)
    /// Every one of the run's `steps` was skipped (`on_nonfinite: skip_step`): nothing was learnt.
    case noStepApplied(steps: Int)

    /// Raised on every rank alike at the same step: the ranks can exit in order, no abort needed.
    public var isCollective: Bool {
        switch self {
        case .ranksFailed, .nonFinite, .partialInitialWeights, .nonFiniteInitialWeights, .updateNotFinite, .noStepApplied: true
        case .cannotCreate, .emptySplit, .runDirectoryInUse, .resumeMismatch, .noCompleteCheckpoint,
             .runDirectoryHoldsARun: false
        }
    }

    /// Whether every rank meets `error` alike at the same point (a `RunError` that says so, or any
    /// of the coordinator's checks), so that the ranks can exit in order.
    public static func isCollective(_ error: Error) -> Bool {
        (error as? RunError)?.isCollective ?? (error is CoordinationError)
    }

    /// Whether `error` is in what the run was given (its config or its data set) rather than in
    /// the run: starting it again meets it again, so `qcs train` exits 64 for it (as for bad
    /// usage) and `qcs launch` stops instead of restarting.
    public static func isInputError(_ error: Error) -> Bool {
        if error is ConfigError || error is DatasetError { return true }
        if case .emptySplit = error as? RunError { return true }
        return false
    }

    /// Which ranks a non-finite step came from: those whose loss was, when any (their gradient
    /// then makes the global gradient norm non-finite on every rank), else the gradient norm's.
    static func nonFiniteSource(ranks: [Int], lossRanks: [Int]) -> String {
        func named(_ r: [Int]) -> String { "rank\(r.count == 1 ? "" : "s") " + r.map(String.init).joined(separator: ", ") }
        guard !lossRanks.isEmpty else { return "the gradient norm is not finite on \(named(ranks))" }
        let spread = ranks.count > lossRanks.count ? " (and so the gradient norm every rank shares)" : ""
        return "the loss is not finite on \(named(lossRanks))\(spread)"
    }

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason):
            return "cannot write the run directory \(path): \(reason). Check the path and its permissions."
        case .emptySplit(let split, let dataset):
            return "the \(split) split of \(dataset) has no images; check data.root and the list files (qcs data check)."
        case .ranksFailed(let ranks, let step):
            return "rank\(ranks.count == 1 ? "" : "s") \(ranks.map(String.init).joined(separator: ", ")) could not do step "
                + "\(step) (see \(ranks.count == 1 ? "its" : "their") message above); the run stopped without updating."
        case .runDirectoryInUse(let path, let holder):
            return "the run directory \(path) is in use by a training run (\(holder)); wait for it to end, stop it, "
                + "or give another --run-dir"
        case .resumeMismatch(let directory, let reason):
            return "cannot resume from \(directory): \(reason); use the config the run was started with, or another --run-dir"
        case .noCompleteCheckpoint(let directory, let problems):
            return "no complete checkpoint in \(directory): " + problems.joined(separator: "; ")
                + ". Start afresh in another --run-dir, or restore the files"
        case .runDirectoryHoldsARun(let path, let state):
            return "\(path) already holds a run (\(state)): continue it with --resume auto, or give another --run-dir"
        case .nonFinite(let step, let ranks, let lossRanks, let checkpoint):
            let rank = lossRanks.first ?? ranks.first ?? 0
            let replay = checkpoint.map { "qcs debug replay --checkpoint \($0.directory) --rank \(rank) --steps \(step - $0.step) "
                + "shows where the first non-finite value appears" } ?? "with checkpoint.every set, qcs debug replay can show "
                + "where the first non-finite value appears"
            return "step \(step): \(Self.nonFiniteSource(ranks: ranks, lossRanks: lossRanks)); the step was not applied: "
                + "the weights are those after step \(step - 1). \(replay). Lower optim.lr, set optim.clip_grad_norm, or set "
                + "train.on_nonfinite: skip_step."
        case .partialInitialWeights(let path, let share, let report):
            return String(format: "--init-weights %@ fills only %.0f %% of the model's tensors:\n", path, 100 * share) + report
                + "\nIs it a model of this architecture and size (the config's model: section)? To train from it "
                + "anyway, add --allow-partial (--backbone-only loads just ir_back.*)."
        case .nonFiniteInitialWeights(let path, let tensors):
            return "--init-weights \(path) holds NaN or infinite values in \(tensors.count) tensor\(tensors.count == 1 ? "" : "s"): "
                + tensors.prefix(5).joined(separator: ", ") + (tensors.count > 5 ? ", …" : "")
                + ". Training from it would give non-finite losses; export the weights again, or start without --init-weights."
        case .updateNotFinite(let step, let checkpoint):
            return "step \(step): the update left non-finite weights (the loss and gradients were finite, so the step was "
                + "too large: optim.lr, or Adam's eps); nothing after step \(step - 1) was saved or exported. "
                + (checkpoint.map { "Resume from \($0.directory) (step \($0.step)) with a lower optim.lr" }
                   ?? "Start again with a lower optim.lr") + ", or set optim.clip_grad_norm."
        case .noStepApplied(let steps):
            return "all \(steps) steps were skipped for non-finite values (train.on_nonfinite: skip_step): nothing was learnt, "
                + "so no weights were exported. The initial weights or the data give non-finite losses from the start: "
                + "qcs debug replay of the first checkpoint shows where (set checkpoint.every)."
        }
    }
}
