import Autograd
import Foundation
import QCS
import Safetensors
import XCTest

/// Small weight files for the checkpoint tests, built from `tiny` QCS models in a temporary
/// directory that each test case removes.
class WeightFileTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A tiny model whose buffers differ from their initial values too (running statistics and
    /// batch counts drawn from `seed`), so that a load that skipped buffers would be caught.
    func tinyStore(seed: UInt64, config: QCSConfig = .tiny) -> ParameterStore {
        let (_, store) = QCSModel.build(config, seed: seed)
        var rng = SeededRNG(seed: seed, stream: 77)
        for b in store.layout.buffers {
            let v = store.value(b)
            for i in 0..<v.count {
                v.data[i] = b.name.hasSuffix("num_batches_tracked") ? Float(Int(rng.uniform(1, 1000)))
                    : rng.uniform(0.5, 1.5)
            }
        }
        return store
    }

    /// Every parameter and buffer of `store` as (official name, values).
    func namedTensors(_ store: ParameterStore) -> [(name: String, tensor: Tensor)] {
        (store.layout.parameters + store.layout.buffers).map { ($0.name, store.value($0)) }
    }

    /// Writes `tensors` as F32 and returns the path.
    @discardableResult
    func write(_ tensors: [(name: String, tensor: Tensor)], to name: String) throws -> String {
        let p = path(name)
        try SafetensorsWriter(path: p).write(tensors)
        return p
    }

    /// The bit patterns of every parameter and every buffer, for exact comparisons.
    func bits(_ store: ParameterStore) -> (parameters: [UInt32], buffers: [UInt32]) {
        (store.values.array.map(\.bitPattern), store.bufferValues.array.map(\.bitPattern))
    }

    /// The bit patterns of one named tensor.
    func bits(_ store: ParameterStore, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt32] {
        let p = try XCTUnwrap(store.named(name), "no tensor \(name)", file: file, line: line)
        return store.value(p).array.map(\.bitPattern)
    }

    /// Names of `store` for which `include` holds, parameters then buffers (the layout order).
    func names(_ store: ParameterStore, where include: (String) -> Bool) -> [String] {
        (store.layout.parameters + store.layout.buffers).map(\.name).filter(include)
    }
}

/// A safetensors file written byte by byte, for what `SafetensorsWriter` cannot produce
/// (integer tensors, as PyTorch writes `num_batches_tracked`).
enum RawSafetensors {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        let bytes: [UInt8]

        static func float32(_ name: String, _ shape: [Int], _ values: [Float]) -> Entry {
            Entry(name: name, dtype: "F32", shape: shape,
                  bytes: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }

        static func int64(_ name: String, _ shape: [Int], _ values: [Int64]) -> Entry {
            Entry(name: name, dtype: "I64", shape: shape, bytes: values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
        }
    }

    static func write(_ entries: [Entry], to path: String) throws {
        var offset = 0
        var fields: [String] = []
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            fields.append("\"\(e.name)\":{\"dtype\":\"\(e.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        let header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        for e in entries { bytes += e.bytes }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
