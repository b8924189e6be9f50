import Autograd
import DataPipeline
import Foundation
import XCTest

/// Small in-memory sets and helpers shared by the loader tests.
enum LoaderFixtures {
    /// `count` grey 20x20 images whose pixels depend on the index, labels cycling over 3 classes.
    static func greySamples(_ count: Int = 13) -> [Sample] {
        (0..<count).map { i in
            let pixels = (0..<400).map { p in UInt8((i * 37 + (p % 20) * 3 + (p / 20) * 5) % 256) }
            return Sample(source: .grey(width: 20, height: 20, pixels: pixels, origin: "grey.csv:\(i + 2)"), label: i % 3)
        }
    }

    /// FERPlus's training recipe at a 16-pixel input: resize, flip, rotation, crop, jitter, erasing.
    static func trainingRecipe() throws -> AugmentationRecipe {
        try AugmentationRecipe(kind: .ferplus, options: .init(training: true, outputSize: 16))
    }

    static func plan(_ samples: [Sample], seed: UInt64 = 5, epoch: Int = 0, batchSize: Int = 5) throws -> [GlobalBatch] {
        let sampler = try QuadrupletSampler(labels: samples.map(\.label), classCount: 3, rule: .everyImageOnce, seed: seed)
        return try sampler.plan(epoch: epoch).batches(batchSize: batchSize)
    }

    /// One yielded batch, copied out of the loader's buffers.
    struct Copied: Equatable {
        var index: Int
        var branches: [[Float]]
        var labels: [Int]
        var negativeLabels: [Int]
        var positions: [Int]
        var droppedPositions: [Int]
    }

    static func drain(_ loader: QuadrupletLoader) throws -> [Copied] {
        var result: [Copied] = []
        while let loaded = try loader.next() {
            let b = loaded
            result.append(Copied(index: loaded.globalIndex, branches: b.images.map(\.array), labels: b.labels,
                                 negativeLabels: b.negativeLabels, positions: loaded.positions,
                                 droppedPositions: loaded.droppedPositions))
        }
        return result
    }

    /// Runs `body` on another thread and fails the test if it has not returned within `seconds`.
    static func assertFinishes(within seconds: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                               _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            body()
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            XCTFail("\(what) did not finish within \(seconds) s", file: file, line: line)
        }
    }
}

/// A RAF-DB-layout set of synthetic faces written to a temporary folder and read back.
final class SyntheticRAFSet {
    let root: URL
    let samples: [Sample]

    init(trainCount: Int = 12, imageSize: Int = 32) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("qcs-loader-\(UUID().uuidString)")
        let dataset = try SyntheticDataset(options: .init(seed: 4, trainCount: trainCount, testCount: 2, imageSize: imageSize))
        try dataset.write(to: root)
        samples = try DatasetReader(config: DatasetConfig(kind: .rafdb, root: root.path)).read().samples(.train)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The file of sample `index`, cut to half its bytes: a truncated JPEG.
    @discardableResult
    func truncate(_ index: Int) throws -> String {
        guard case .file(let path) = samples[index].source else { throw CocoaError(.fileNoSuchFile) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        return path
    }
}
