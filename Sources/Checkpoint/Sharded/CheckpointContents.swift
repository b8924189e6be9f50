import Autograd
import Distributed
import Foundation
import QCS
import Safetensors

/// A sharded checkpoint read whole into memory, for the offline tools: export to safetensors and
/// resharding to another world size. Reading goes through `ShardedCheckpoint.load`, the resume
/// path, so every shard is checked (size, SHA-256, frames) first.
public struct CheckpointContents {
    public let directory: String
    public let manifest: CheckpointManifest
    /// Each buffer, flat, by name.
    public let buffers: [String: Tensor]

    /// The metadata key under which a training checkpoint records its model configuration
    /// (`ExportMetadata.json`), so tools can rebuild or check the model without the run's config.
    public static let modelKey = "model"

    public init(directory: String) throws {
        let manifest = try CheckpointManifest.read(directory)
        let buffers = Dictionary(uniqueKeysWithValues: manifest.buffers.map { ($0.name, Tensor(zeros: [$0.count])) })
        _ = try ShardedCheckpoint.load(directory, into: manifest.buffers.map { CheckpointBuffer(name: $0.name, tensor: buffers[$0.name]!) })
        self.directory = directory
        self.manifest = manifest
        self.buffers = buffers
    }

    /// The model configuration the checkpoint was trained with.
    public func modelConfig() throws -> QCSConfig {
        guard let json = manifest.metadata[Self.modelKey] else {
            throw CheckpointError.manifestUnreadable(file: directory + "/manifest.json", reason: "it records no model configuration")
        }
        do { return try ExportMetadata.config(json: json) } catch {
            throw CheckpointError.manifestUnreadable(file: directory + "/manifest.json", reason: "its model configuration: \(error)")
        }
    }

    /// The tensors of the manifest's table (official names, declaration order), as views.
    public func tensors() throws -> [(name: String, tensor: Tensor)] {
        try manifest.tensors.map { entry in
            let count = entry.shape.reduce(1, *)
            guard let flat = buffers[entry.buffer], entry.offset >= 0, entry.offset + count <= flat.count else {
                throw CheckpointError.manifestUnreadable(file: directory + "/manifest.json",
                                                         reason: "tensor \(entry.name) lies outside buffer '\(entry.buffer)'")
            }
            return (entry.name, Tensor(shape: entry.shape, storage: flat.storage, offset: entry.offset))
        }
    }

    /// Writes the model's weights as one safetensors file under official names, with the
    /// metadata `qcs predict`, `qcs eval` and `--init-weights` expect; returns the tensor count.
    @discardableResult
    public func exportSafetensors(to path: String, dtype: SafetensorsDType = .f32) throws -> Int {
        let tensors = try tensors()
        guard !tensors.isEmpty else {
            throw CheckpointError.manifestUnreadable(file: directory + "/manifest.json", reason: "it lists no tensors to export")
        }
        let metadata = ExportMetadata(part: .full, config: try modelConfig())
        try SafetensorsWriter(path: path, dtype: dtype).write(tensors, metadata: metadata.strings)
        return tensors.count
    }

    /// Writes the same checkpoint as `worldSize` shards into `out` (a new checkpoint directory):
    /// the save of a run at that world size, each shard written by one in-process rank. Per-rank
    /// buffers (compression residuals) mean nothing at another world size and are left out: a
    /// run resumed from the result starts them afresh. Returns the names left out.
    @discardableResult
    public func reshard(worldSize: Int, into out: String, frameBytes: Int? = nil) throws -> [String] {
        let buffers = manifest.buffers.filter { !$0.isPerRank }
            .map { CheckpointBuffer(name: $0.name, tensor: self.buffers[$0.name]!) }
        let frames = frameBytes ?? manifest.frameBytes
        let (manifest, tensors) = (self.manifest, self.manifest.tensors)
        _ = try InProcessWorld.run(size: worldSize, timeout: 3600) { comm in
            try ShardedCheckpoint.save(buffers, tensors: tensors, step: manifest.step, metadata: manifest.metadata,
                                       into: out, latestIn: nil, over: comm, frameBytes: max(4, frames))
        }
        return manifest.buffers.filter(\.isPerRank).map(\.name)
    }
}
