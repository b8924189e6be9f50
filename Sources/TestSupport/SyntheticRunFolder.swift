import DataPipeline
import Foundation

/// A scratch folder for an end-to-end run: a fresh temporary directory, optionally holding a
/// small synthetic data set (RAF-DB layout) under `data/`, removed by `remove()`; and the tiny
/// model's run configuration over it, which the trainer tests parse with `TrainingConfig.parse`.
public struct SyntheticRunFolder {
    public let root: String

    public init(_ name: String, trainCount: Int? = nil, testCount: Int = 14, seed: UInt64 = 2) throws {
        root = (NSTemporaryDirectory() as NSString).appendingPathComponent("qcs-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if let trainCount {
            let set = try SyntheticDataset(options: .init(seed: seed, trainCount: trainCount, testCount: testCount, imageSize: 32))
            try set.write(to: URL(fileURLWithPath: root + "/data"))
        }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// The YAML of a tiny-model run on `data/` (or `dataRoot`; RAF-DB layout), one thread each for
    /// compute and loading, at the data's own 32x32 (the tiny preset's architecture on a quarter of
    /// its pixels: the trainer's tests check what the run does, not what it learns); `optim` and `train` are the insides of their sections' braces (`train`
    /// after the thread counts), `extra` more sections.
    public func tinyConfig(optim: String = "lr: 1.0e-3", train: String = "epochs: 2, batch_size: 4, max_steps_per_epoch: 3",
                           extra: String = "", dataRoot: String? = nil) -> String {
        """
        model: {preset: tiny, image_size: 32}
        data: {kind: rafdb, root: \(dataRoot ?? root + "/data")}
        optim: {\(optim)}
        train: {threads: 1, loader_threads: 1, \(train)}
        \(extra)
        """
    }
}
