import DataPipeline
import Distributed
import Foundation

/// The check every rank runs before training: that all ranks read the same configuration (and
/// command-line options), the same data set, and built the same model. Launch mistakes (a stale config on one node, a
/// data folder that differs between nodes, two qcs versions) would otherwise train silently on
/// mismatched data or stop in a collective that never matches.
struct WorldAgreement: Equatable {
    var configuration: UInt64
    var trainList: UInt64
    var trainCount: Int
    var testCount: Int
    var parameters: Int

    init(config: TrainingConfig, options: TrainingRun.Options, train: [Sample], test: [Sample], parameters: Int) {
        var c = StableHash()
        // Command-line choices that change what or how long every rank computes.
        c.add(options.maxSteps.map(String.init) ?? "-")
        c.add(options.initialWeights.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "-")
        c.add(options.initialScope == .backbone ? "backbone" : "whole")
        c.add(String(describing: config.model))
        c.add(String(describing: config.optim))
        c.add(String(describing: config.run))
        c.add(String(describing: config.distributed))
        c.add(config.data.kind.rawValue)
        configuration = c.value
        trainList = Self.fingerprint(train, root: config.data.root)
        trainCount = train.count
        testCount = test.count
        self.parameters = parameters
    }

    /// The training list's images and labels, paths relative to the data root, so nodes may mount
    /// the data set in different places.
    static func fingerprint(_ train: [Sample], root: String) -> UInt64 {
        var t = StableHash()
        for sample in train {
            var name = sample.source.description
            if name.hasPrefix(root) { name.removeFirst(root.count) }
            t.add(name)
            t.add(String(sample.label))
        }
        return t.value
    }

    /// Throws the same `CoordinationError.ranksDisagree` on every rank when any rank differs from rank 0.
    func check(over comm: Communicator) throws {
        try AgreementCheck([("configuration", Int64(bitPattern: configuration)), ("training list", Int64(bitPattern: trainList)),
                            ("training images", Int64(trainCount)), ("test images", Int64(testCount)),
                            ("model parameters", Int64(parameters))]).check(over: comm)
    }
}

/// FNV-1a over UTF-8: the same value in every process (Swift's `Hasher` is seeded per process).
struct StableHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x100_0000_01b3
        }
        value ^= 0xff
        value &*= 0x100_0000_01b3
    }
}
