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
    /// The job's hosts, and where the run's node-local checkpoints go on each.
    let hosts: HostMap
    let nodePaths: NodeCheckpointPaths
    let rank: Int

    /// What a save writes: a durable checkpoint (the run directory, or each node's `local_dir`) or
    /// a snapshot into node memory.
    enum Kind {
        case durable, memory

        var level: Int32 { self == .memory ? ShardedCheckpoint.fastLevel : ShardedCheckpoint.defaultLevel }
    }

    init(store: ParameterStore, optimizer: Optimizer, optimizerPiece: Range<Int>? = nil, compression: BucketSum? = nil,
         runDirectory: String, config: TrainingConfig, trainList: UInt64, fault: SaveFaultInjection? = nil,
         hosts: HostMap = HostMap(hostOfRank: [HostName.current]), rank: Int = 0) {
        self.fault = fault
        self.hosts = hosts
        self.rank = rank
        nodePaths = NodeCheckpointPaths(runDirectory: runDirectory)
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

    /// Saves the state after `state.globalStep` (collective); returns this rank's directory of it.
    /// `evaluated`: the test accuracy of exactly these weights, when they were just evaluated.
    func save(_ state: TrainingState, evaluated: Double?, kind: Kind = .durable, over comm: Communicator) throws -> String {
        let placement = placement(kind, step: state.globalStep)
        try ShardedCheckpoint.save(buffers, tensors: tensors, step: state.globalStep,
                                   metadata: try metadata(state, evaluated: evaluated), placement: placement, over: comm,
                                   frameBytes: config.checkpoint.frameBytes, level: kind.level, fault: fault)
        let directory = placement.directories[comm.rank]
        if placement.publishers.contains(comm.rank) { prune(kind, keeping: directory) }
        return directory
    }

    /// The same save, made by `saver` in the background once this rank's part is copied (collective);
    /// returns how long training was held. `tag` comes back with the finished save.
    func startSave(_ state: TrainingState, evaluated: Double?, kind: Kind = .durable, on saver: BackgroundCheckpointSaver,
                   tag: String?) throws -> BackgroundCheckpointSaver.Hold {
        let placement = placement(kind, step: state.globalStep)
        let publishes = placement.publishers.contains(saver.rank)
        return try saver.save(buffers, tensors: tensors, step: state.globalStep, metadata: try metadata(state, evaluated: evaluated),
                              placement: placement, frameBytes: config.checkpoint.frameBytes, level: kind.level, fault: fault,
                              tag: tag) { directory in
            if publishes { self.prune(kind, keeping: directory) }
        }
    }

    /// Where each rank's shard of a `kind` save at `step` goes.
    func placement(_ kind: Kind, step: Int) -> ShardPlacement {
        let name = CheckpointManifest.directoryName(step: step)
        let copies = config.checkpoint.replicaCount(hosts: hosts.hosts.count)
        switch kind {
        case .memory:
            return .perHost(hosts, name: name, copies: copies) { nodePaths.root(config.checkpoint.memoryDir, host: $0) }
        case .durable:
            guard let local = config.checkpoint.localDir else { return .shared(root + "/" + name, worldSize: hosts.hostOfRank.count) }
            return .perHost(hosts, name: name, copies: copies) { nodePaths.root(local, host: $0) }
        }
    }

    /// This host's folder of memory snapshots, and of local checkpoints (nil: none configured).
    var memoryRoot: String { nodePaths.root(config.checkpoint.memoryDir, host: hosts.hostOfRank[rank]) }
    var localRoot: String? { config.checkpoint.localDir.map { nodePaths.root($0, host: hosts.hostOfRank[rank]) } }

    /// What a checkpoint of `state` records besides the buffers.
    private func metadata(_ state: TrainingState, evaluated: Double?) throws -> [String: String] {
        var metadata = [
            // Sorted keys: every host's copy of a manifest must be the same bytes.
            Key.state: String(decoding: try JSONEncoder.sorted.encode(state), as: UTF8.self),
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
        return metadata
    }

    /// The checkpoint `latest` names, and the step it holds (nil: none written yet).
    var latestName: (directory: String, step: Int)? {
        guard let name = (try? String(contentsOfFile: root + "/latest", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines),
              let step = Int(name.drop { !$0.isNumber }) else { return nil }
        return (root + "/" + name, step)
    }

    /// Deletes what `CheckpointRetention` does not keep, and saves cut short before this one, in
    /// the folder `current` is in (the run directory's, or this host's of its tier).
    private func prune(_ kind: Kind, keeping current: String) {
        let fm = FileManager.default
        let folder = (current as NSString).deletingLastPathComponent
        let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }
        let checkpoints = names.map { name in
            (name: name, testAccuracy: kind == .memory ? nil : (try? CheckpointManifest.read(folder + "/" + name))?
                .metadata[Key.testAccuracy].flatMap(Double.init))
        }
        let retention = kind == .memory ? CheckpointRetention(keep: config.checkpoint.memoryKeep, keepBest: false)
            : CheckpointRetention(keep: config.checkpoint.keep, keepBest: config.checkpoint.keepBest)
        for name in retention.doomed(checkpoints, current: (current as NSString).lastPathComponent) {
            try? fm.removeItem(atPath: folder + "/" + name)
        }
        let stale = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("step-") && $0.hasSuffix(".tmp") }
        for name in stale { try? fm.removeItem(atPath: folder + "/" + name) }
    }

    /// Restores `directory` into the model, the optimiser and (where its layout is the same) the
    /// compressor's state; returns the cursor to continue from, the keys that may change and did
    /// (each `key old -> new`), and what happened to the compressor state (nil: nothing to say).
    func restore(_ directory: String, rank: Int, worldSize: Int) throws -> (state: TrainingState, changes: [String], compression: String?) {
        let manifest = try CheckpointManifest.read(directory)
        return try restore(manifest, at: directory, worldSize: worldSize) { buffers in
            try ShardedCheckpoint.fill(buffers, from: manifest, at: directory, rank: rank) { .file(directory + "/" + $0.file) }
        }
    }

    /// The same from what the ranks of this job hold (collective).
    func restore(_ assembly: CheckpointAssembly, rank: Int, over comm: Communicator) throws
        -> (state: TrainingState, changes: [String], compression: String?) {
        try restore(assembly.manifest, at: assembly.directory ?? assembly.account, worldSize: comm.size) { buffers in
            try assembly.load(into: buffers, rank: rank, over: comm)
        }
    }

    /// Checks `manifest` against this run, then has `read` fill every buffer to restore at once
    /// (the model's, the optimiser's and, when they apply, the compressor's).
    private func restore(_ manifest: CheckpointManifest, at directory: String, worldSize: Int,
                         read: ([CheckpointBuffer]) throws -> Void) throws -> (state: TrainingState, changes: [String], compression: String?) {
        let compatibility = try check(manifest, directory)
        guard let state = Self.savedState(manifest), let steps = manifest.metadata[Key.optimizerSteps].flatMap(Int.init) else {
            throw RunError.resumeMismatch(directory: directory, reason: "its manifest has no training cursor")
        }
        let (restoresCompression, note) = compressionPlan(manifest, worldSize: worldSize)
        try read(Self.buffers(store: store, optimizer: optimizer, piece: optimizerPiece)
                 + (restoresCompression ? compressionBuffers : []))
        optimizer.stepCount = steps
        return (state, compatibility.changes, note)
    }

    /// Whether the compressor's residuals come from the checkpoint (it saved the same layout; else
    /// they are zeroed), and what to say about it.
    private func compressionPlan(_ manifest: CheckpointManifest, worldSize: Int) -> (restores: Bool, note: String?) {
        let saved = manifest.metadata[Key.compressionLayout]
        guard let compression else {
            let why = worldSize == 1 ? "one rank exchanges no gradients" : "this run's compressor keeps no state"
            return (false, saved.map { "the checkpoint's compression state (\($0)) is not used: \(why)" })
        }
        let names = Set(manifest.buffers.filter(\.isPerRank).map(\.name))
        guard let saved, saved == compression.stateLayout, compressionBuffers.allSatisfy({ names.contains($0.name) }) else {
            compression.resetState()
            let why = saved.map { manifest.worldSize != worldSize
                ? "it was saved at \(manifest.worldSize) ranks" : "it was saved for \($0)" } ?? "the checkpoint has none"
            return (false, "compression state starts afresh (zero residuals): \(why), this run is \(compression.stateLayout)")
        }
        return (true, "compression state restored (\(saved))")
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

    /// What this rank reaches for `--resume auto`: this host's memory snapshots and local
    /// checkpoints, and the run directory's checkpoints; with why each unreadable one is not one.
    func reachable() -> (found: [ReachableCheckpoint], problems: [String]) {
        var found: [ReachableCheckpoint] = [], problems: [String] = []
        var tiers: [(String, CheckpointTier)] = [(root, .shared)]
        if config.checkpoint.memoryEvery > 0 || FileManager.default.fileExists(atPath: memoryRoot) { tiers.append((memoryRoot, .memory)) }
        if let localRoot { tiers.append((localRoot, .local)) }
        for (folder, tier) in tiers {
            let scan = ReachableCheckpoint.scan(folder, tier: tier)
            found += scan.found
            problems += scan.problems.map { tier == .shared ? $0 : "\(tier.noun) \($0)" }
        }
        return (found, problems)
    }

    /// Removes this host's memory snapshots of the run (its leader does: the run finished).
    func removeMemorySnapshots() {
        let host = hosts.hostOfRank[rank]
        if hosts.leader(of: host) == rank { nodePaths.remove(config.checkpoint.memoryDir, host: host) }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
