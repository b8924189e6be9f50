import Autograd
import Checkpoint
import Distributed
import Foundation
import BuildInfo
import Optim
import QCS

/// The training state a checkpoint holds, and where: `RUN/checkpoints/step-…/` with the flat
/// buffers (parameters, running statistics, every optimiser state tensor) sharded over the ranks,
/// and in the manifest's metadata the cursor, the optimiser's step count, the resolved
/// configuration, the training list's fingerprint, the qcs version and the evaluations. A
/// gradient compressor's state (error-feedback residuals) goes in as per-rank buffers, with its
/// layout in the metadata: restored where the layout (world size, buckets, compressor) is the
/// same, otherwise started afresh.
public struct TrainingCheckpoint {
    let store: ParameterStore
    let optimizer: Optimizer
    /// The elements the optimiser's state covers under ZeRO-1 (nil: all).
    let optimizerPiece: Range<Int>?
    /// The exchange's compressor, when it has state to carry.
    let compression: BucketSum?
    let root: String
    let config: TrainingConfig
    /// `WorldAgreement.trainList`: a resume must see the same training images and labels.
    let trainList: UInt64
    /// A test's kill in the middle of a shard (nil: none).
    let fault: SaveFaultInjection?

    init(store: ParameterStore, optimizer: Optimizer, optimizerPiece: Range<Int>? = nil, compression: BucketSum? = nil,
         runDirectory: String, config: TrainingConfig, trainList: UInt64, fault: SaveFaultInjection? = nil) {
        self.fault = fault
        self.store = store
        self.optimizer = optimizer
        self.optimizerPiece = optimizerPiece
        self.compression = compression.flatMap { $0.state.isEmpty ? nil : $0 }
        root = runDirectory + "/checkpoints"
        self.config = config
        self.trainList = trainList
    }

    var buffers: [CheckpointBuffer] { Self.buffers(store: store, optimizer: optimizer, piece: optimizerPiece) + compressionBuffers }

    /// This rank's compressor state, one per-rank buffer per state tensor.
    var compressionBuffers: [CheckpointBuffer] {
        (compression?.state ?? []).map { CheckpointBuffer(name: $0.name, tensor: $0.tensor, perRank: true) }
    }

    /// What a training checkpoint shards: parameters, running statistics, each optimiser state
    /// tensor (with `piece`, ZeRO-1's: the optimiser holds those elements of the whole only, which
    /// are exactly this rank's shard of it).
    public static func buffers(store: ParameterStore, optimizer: Optimizer, piece: Range<Int>? = nil) -> [CheckpointBuffer] {
        [CheckpointBuffer(name: "parameters", tensor: store.values),
         CheckpointBuffer(name: "buffers", tensor: store.bufferValues)]
            + optimizer.state.map { CheckpointBuffer(name: "optimizer." + $0.name, values: $0.values, count: store.values.count,
                                                     owner: optimizer, held: piece) }
    }

    /// The official names inside the parameter and statistics buffers.
    var tensors: [CheckpointManifest.TensorEntry] {
        store.layout.parameters.map { .init(name: $0.name, shape: $0.shape, buffer: "parameters", offset: $0.offset) }
            + store.layout.buffers.map { .init(name: $0.name, shape: $0.shape, buffer: "buffers", offset: $0.offset) }
    }

    enum Key {
        static let state = "state", optimizerSteps = "optimizer_steps", optimizer = "optimizer", config = "config"
        static let model = CheckpointContents.modelKey, trainList = "train_list", seed = "seed", version = "qcs_version"
        static let commit = "qcs_commit", testAccuracy = "test_accuracy", lastTest = "last_test_accuracy"
        static let bestTest = "best_test_accuracy", compressionLayout = "compression_state"
    }

    /// The training cursor a checkpoint's manifest records (nil: not a training checkpoint).
    static func savedState(_ manifest: CheckpointManifest) -> TrainingState? {
        manifest.metadata[Key.state].flatMap { try? JSONDecoder().decode(TrainingState.self, from: Data($0.utf8)) }
    }

    /// The resolved configuration (dotted key → value) a checkpoint's manifest records.
    public static func savedConfiguration(_ manifest: CheckpointManifest) -> [String: String]? {
        manifest.metadata[Key.config].flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
    }

    /// Saves the state after `state.globalStep` (collective); returns the directory.
    /// `evaluated`: the test accuracy of exactly these weights, when they were just evaluated.
    func save(_ state: TrainingState, evaluated: Double?, over comm: Communicator) throws -> String {
        var metadata = [
            Key.state: String(decoding: try JSONEncoder().encode(state), as: UTF8.self),
            Key.optimizerSteps: String(optimizer.stepCount),
            Key.optimizer: config.optim.kind.rawValue,
            Key.config: String(decoding: try JSONEncoder.sorted.encode(config.resolved), as: UTF8.self),
            Key.model: ExportMetadata.json(config.model),
            Key.trainList: String(trainList, radix: 16),
            Key.seed: String(config.run.seed),
            Key.version: QCSVersion.release,
        ]
        metadata[Key.commit] = QCSVersion.sourceCommit
        metadata[Key.testAccuracy] = evaluated.map { "\($0)" }
        metadata[Key.lastTest] = state.lastTestAccuracy.map { "\($0)" }
        metadata[Key.bestTest] = state.bestTestAccuracy.map { "\($0)" }
        metadata[Key.compressionLayout] = compression?.stateLayout
        let directory = try ShardedCheckpoint.save(buffers, tensors: tensors, step: state.globalStep, metadata: metadata,
                                                   root: root, over: comm, frameBytes: config.checkpoint.frameBytes,
                                                   fault: fault)
        if comm.isLeader { prune(keeping: directory) }
        return directory
    }

    /// The checkpoint `latest` names, and the step it holds (nil: none written yet).
    var latestName: (directory: String, step: Int)? {
        guard let name = (try? String(contentsOfFile: root + "/latest", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines),
              let step = Int(name.drop { !$0.isNumber }) else { return nil }
        return (root + "/" + name, step)
    }

    /// Complete checkpoints, newest first.
    private var completeNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }.sorted(by: >)
    }

    /// Deletes what `CheckpointRetention` does not keep, and saves cut short before this one.
    private func prune(keeping current: String) {
        let fm = FileManager.default
        let checkpoints = completeNames.map { name in
            (name: name, testAccuracy: (try? CheckpointManifest.read(root + "/" + name))?.metadata[Key.testAccuracy]
                .flatMap(Double.init))
        }
        let retention = CheckpointRetention(keep: config.checkpoint.keep, keepBest: config.checkpoint.keepBest)
        for name in retention.doomed(checkpoints, current: (current as NSString).lastPathComponent) {
            try? fm.removeItem(atPath: root + "/" + name)
        }
        let stale = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix("step-") && $0.hasSuffix(".tmp") }
        for name in stale { try? fm.removeItem(atPath: root + "/" + name) }
    }

    /// Restores `directory` into the model, the optimiser and (where its layout is the same) the
    /// compressor's state; returns the cursor to continue from, the keys that may change and did
    /// (each `key old -> new`), and what happened to the compressor state (nil: nothing to say).
    func restore(_ directory: String, rank: Int, worldSize: Int) throws -> (state: TrainingState, changes: [String], compression: String?) {
        let manifest = try CheckpointManifest.read(directory)
        let compatibility = try check(manifest, directory)
        let base = Self.buffers(store: store, optimizer: optimizer, piece: optimizerPiece)
        _ = try ShardedCheckpoint.load(directory, into: base)
        guard let state = Self.savedState(manifest), let steps = manifest.metadata[Key.optimizerSteps].flatMap(Int.init) else {
            throw RunError.resumeMismatch(directory: directory, reason: "its manifest has no training cursor")
        }
        optimizer.stepCount = steps
        return (state, compatibility.changes, try restoreCompression(manifest, directory, rank: rank, worldSize: worldSize))
    }

    /// The compressor's residuals from the checkpoint when it saved the same layout; else zeroed.
    private func restoreCompression(_ manifest: CheckpointManifest, _ directory: String, rank: Int,
                                    worldSize: Int) throws -> String? {
        let saved = manifest.metadata[Key.compressionLayout]
        guard let compression else {
            let why = worldSize == 1 ? "one rank exchanges no gradients" : "this run's compressor keeps no state"
            return saved.map { "the checkpoint's compression state (\($0)) is not used: \(why)" }
        }
        let names = Set(manifest.buffers.filter(\.isPerRank).map(\.name))
        guard let saved, saved == compression.stateLayout, compressionBuffers.allSatisfy({ names.contains($0.name) }) else {
            compression.resetState()
            let why = saved.map { manifest.worldSize != worldSize
                ? "it was saved at \(manifest.worldSize) ranks" : "it was saved for \($0)" } ?? "the checkpoint has none"
            return "compression state starts afresh (zero residuals): \(why), this run is \(compression.stateLayout)"
        }
        _ = try ShardedCheckpoint.load(directory, into: compressionBuffers, rank: rank)
        return "compression state restored (\(saved))"
    }

    /// The configuration and training list against the manifest's: every difference that
    /// changes the computation, listed, or the changes that do not.
    private func check(_ manifest: CheckpointManifest, _ directory: String) throws -> ResumeCompatibility {
        guard let saved = Self.savedConfiguration(manifest) else {
            throw RunError.resumeMismatch(directory: directory, reason: "its manifest records no configuration")
        }
        let compatibility = ResumeCompatibility(saved: saved, current: config.resolved)
        var problems = compatibility.mismatches
        if manifest.metadata[Key.trainList] != String(trainList, radix: 16) {
            problems.append("the training split (its images or labels) differs from the one the run was started on")
        }
        guard problems.isEmpty else {
            throw RunError.resumeMismatch(directory: directory, reason: "it differs in \(problems.joined(separator: "; "))")
        }
        return compatibility
    }

    /// The checkpoint `--resume auto` continues from: the one `latest` names if it verifies, else
    /// the newest complete one that does (each skipped one named in `skipped`); nil when none.
    func newestComplete() -> (directory: String, skipped: [String])? {
        let names = completeNames
        let latest = (try? String(contentsOfFile: root + "/latest", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let order = (latest.map { [$0] }?.filter(names.contains) ?? []) + names.filter { $0 != latest }
        var skipped: [String] = []
        for name in order {
            let directory = root + "/" + name
            do {
                let problems = try ShardedCheckpoint.verify(directory)
                if problems.isEmpty { return (directory, skipped) }
                skipped.append("\(name): \(problems.map(\.description).joined(separator: "; "))")
            } catch {
                skipped.append("\(name): \(error)")
            }
        }
        return skipped.isEmpty ? nil : ("", skipped)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
