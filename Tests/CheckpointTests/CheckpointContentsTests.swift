import TestSupport
import XCTest
import Foundation
@testable import Autograd
@testable import Checkpoint
@testable import Distributed
import QCS
import Safetensors

/// The offline tools: a checkpoint read whole, resharded to another world size, exported to safetensors.
final class CheckpointContentsTests: ScratchTestCase {
    var root: String { scratch }

    /// The tiny model's parameters and statistics (seeded), plus an optimiser-like buffer, saved by `ranks` ranks.
    func saveModel(ranks: Int) throws -> (directory: String, store: ParameterStore) {
        let (_, store) = QCSModel.build(.tiny, seed: 5)
        for i in 0..<store.bufferValues.count { store.bufferValues.data[i] = Float(i % 13) * 0.25 }
        let moments = Tensor(shape: [store.values.count], generate: { Float.random(in: -1...1) })
        let tensors = store.layout.parameters.map { CheckpointManifest.TensorEntry(name: $0.name, shape: $0.shape,
                                                                                    buffer: "parameters", offset: $0.offset) }
            + store.layout.buffers.map { CheckpointManifest.TensorEntry(name: $0.name, shape: $0.shape, buffer: "buffers",
                                                                        offset: $0.offset) }
        let buffers = [CheckpointBuffer(name: "parameters", tensor: store.values),
                       CheckpointBuffer(name: "buffers", tensor: store.bufferValues),
                       CheckpointBuffer(name: "optimizer.exp_avg", tensor: moments)]
        let root = self.root
        let dirs = try InProcessWorld.run(size: ranks) { comm in
            try ShardedCheckpoint.save(buffers, tensors: tensors, step: 9,
                                       metadata: [CheckpointContents.modelKey: ExportMetadata.json(.tiny), "state": "{}"],
                                       root: root, over: comm, frameBytes: 16384)
        }
        return (dirs[0], store)
    }

    func testReshard_threeShardsToTwoAndFive_holdTheSameValuesAndMetadata() throws {
        let (directory, _) = try saveModel(ranks: 3)
        let original = try CheckpointContents(directory: directory)
        for size in [2, 5] {
            let out = root + "/resharded-\(size)"
            try original.reshard(worldSize: size, into: out)
            XCTAssertEqual(try ShardedCheckpoint.verify(out), [])
            let again = try CheckpointContents(directory: out)
            XCTAssertEqual(again.manifest.worldSize, size)
            XCTAssertEqual(again.manifest.shards.count, size)
            XCTAssertEqual(again.manifest.metadata, original.manifest.metadata)
            XCTAssertEqual(again.manifest.tensors, original.manifest.tensors)
            XCTAssertEqual(again.manifest.frameBytes, 16384)
            for (name, tensor) in original.buffers { XCTAssertTrue(again.buffers[name]!.array == tensor.array, name) }
        }
    }

    func testExport_writesOfficialNamesTheStoreLoadsBack() throws {
        let (directory, store) = try saveModel(ranks: 2)
        let file = root + "/export.safetensors"
        let count = try CheckpointContents(directory: directory).exportSafetensors(to: file)
        XCTAssertEqual(count, store.layout.parameters.count + store.layout.buffers.count)
        XCTAssertEqual(try OfficialWeights.metadata(of: file)?.config, .tiny)
        let (_, fresh) = QCSModel.build(.tiny, seed: 99)
        let report = try OfficialWeights.load(file, into: fresh)
        XCTAssertEqual(report.missing, [])
        XCTAssertTrue(fresh.values.array == store.values.array)
        XCTAssertTrue(fresh.bufferValues.array == store.bufferValues.array)
    }

    func testExport_ofACorruptCheckpoint_namesTheShardAndWritesNothing() throws {
        let (directory, _) = try saveModel(ranks: 2)
        let shard = directory + "/" + CheckpointManifest.shardFile(rank: 1, of: 2)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: shard))
        try handle.truncate(atOffset: 100)
        try handle.close()
        XCTAssertThrowsError(try CheckpointContents(directory: directory)) {
            XCTAssertTrue("\($0)".contains(shard) && "\($0)".contains("not completely written"), "\($0)")
        }
    }

    func testLocation_resolvesCheckpointRunAndCheckpointsFolders() throws {
        let (directory, _) = try saveModel(ranks: 1)
        XCTAssertEqual(CheckpointLocation.resolve(directory), directory)
        XCTAssertEqual(CheckpointLocation.resolve(root), directory)
        XCTAssertNil(CheckpointLocation.resolve(root + "/nothing"))
        XCTAssertEqual(CheckpointLocation.resolve(root + "/latest"), directory)
    }
}
