import Foundation
@testable import DataPipeline

/// A scratch folder for an end-to-end run: a fresh temporary directory, optionally holding a
/// small synthetic data set (RAF-DB layout) under `data/`, removed by `remove()`.
struct SyntheticRunFolder {
    let root: String

    init(_ name: String, trainCount: Int? = nil, testCount: Int = 14, seed: UInt64 = 2) throws {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("qcs-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if let trainCount {
            let set = try SyntheticDataset(options: .init(seed: seed, trainCount: trainCount, testCount: testCount, imageSize: 32))
            try set.write(to: URL(fileURLWithPath: root + "/data"))
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
