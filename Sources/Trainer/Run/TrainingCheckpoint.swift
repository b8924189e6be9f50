import Autograd
import Checkpoint
import Distributed
import Foundation
import Optim

/// The training state a checkpoint holds, and where: `RUN/checkpoints/step-…/` with the flat
/// buffers (parameters, running statistics, every optimiser state tensor) sharded over the ranks,
/// and the cursor, the optimiser's step count and the configuration in the manifest's metadata.
struct TrainingCheckpoint {
    let store: ParameterStore
    let optimizer: Optimizer
    let root: String
    let configuration: String

    init(store: ParameterStore, optimizer: Optimizer, runDirectory: String, config: TrainingConfig) {
        self.store = store
        self.optimizer = optimizer
        root = runDirectory + "/checkpoints"
        configuration = String(describing: config.model) + String(describing: config.optim) + config.data.kind.rawValue
    }

    var buffers: [CheckpointBuffer] {
        [CheckpointBuffer(name: "parameters", tensor: store.values),
         CheckpointBuffer(name: "buffers", tensor: store.bufferValues)]
            + optimizer.state.map { CheckpointBuffer(name: "optimizer." + $0.name, values: $0.values, count: optimizer.count,
                                                     owner: optimizer) }
    }

    /// Checkpoints kept: the newest this many (older ones are deleted once a newer one is complete).
    static let keep = 3

    /// Saves the state after `state.globalStep` (collective); returns the directory.
    func save(_ state: TrainingState, over comm: Communicator) throws -> String {
        let cursor = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let directory = try ShardedCheckpoint.save(buffers, step: state.globalStep,
                                                   metadata: ["state": cursor, "optimizer_steps": String(optimizer.stepCount),
                                                              "configuration": configuration],
                                                   root: root, over: comm)
        if comm.isLeader { prune(keeping: directory) }
        return directory
    }

    /// Deletes complete checkpoints beyond the newest `keep`, never `current`.
    private func prune(keeping current: String) {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }.sorted(by: >)
        for name in names.dropFirst(Self.keep) where root + "/" + name != current {
            try? fm.removeItem(atPath: root + "/" + name)
        }
    }

    /// Restores `directory` into the model and optimiser; returns the cursor to continue from.
    func restore(_ directory: String) throws -> TrainingState {
        let manifest = try ShardedCheckpoint.load(directory, into: buffers)
        guard manifest.metadata["configuration"] == configuration else {
            throw RunError.resumeMismatch(directory: directory,
                                          reason: "it was made with another model, optimiser or data set kind than this config's")
        }
        guard let text = manifest.metadata["state"], let state = try? JSONDecoder().decode(TrainingState.self, from: Data(text.utf8)),
              let steps = manifest.metadata["optimizer_steps"].flatMap(Int.init) else {
            throw RunError.resumeMismatch(directory: directory, reason: "its manifest has no training cursor")
        }
        optimizer.stepCount = steps
        return state
    }

    /// The checkpoint `--resume auto` continues from: the one `latest` names if it verifies, else
    /// the newest complete one that does (each skipped one named in `skipped`); nil when none.
    func newestComplete() -> (directory: String, skipped: [String])? {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
            .filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }.sorted(by: >)
        let latest = (try? String(contentsOfFile: root + "/latest", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let order = (latest.map { [$0] } ?? []) + names.filter { $0 != latest }
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
