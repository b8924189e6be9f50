import Autograd
import Foundation

/// A named flat buffer a checkpoint saves and restores (parameters, running statistics, each
/// optimiser state tensor, later error-feedback buffers): registering one more needs no format
/// change. It keeps `owner` (the memory's owner) alive, so its pointer stays valid as long as it.
public struct CheckpointBuffer {
    public let name: String
    public let values: UnsafeMutablePointer<Float>
    public let count: Int
    /// State that differs per rank (compression residuals): each rank saves its whole buffer and
    /// gets back its own, and only at the world size it was saved at. Otherwise the buffer is
    /// the same on every rank and each saves a slice.
    public let perRank: Bool
    /// Elements this rank holds when it holds only a slice (ZeRO-1's optimiser state: `values`
    /// points at element `held.lowerBound`); nil: all `count`.
    public let held: Range<Int>?
    private let owner: AnyObject?

    public init(name: String, values: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject?, perRank: Bool = false,
                held: Range<Int>? = nil) {
        precondition(held.map { $0.lowerBound >= 0 && $0.upperBound <= count } ?? true, "\(name): held range outside 0..<\(count)")
        self.name = name
        self.values = values
        self.count = count
        self.owner = owner
        self.perRank = perRank
        self.held = held
    }

    /// A tensor's elements (a flat buffer of the parameter store, for one).
    public init(name: String, tensor: Tensor, perRank: Bool = false) {
        self.init(name: name, values: tensor.data, count: tensor.count, owner: tensor.storage, perRank: perRank)
    }
}

/// `manifest.json` of a sharded checkpoint: what it holds and where, so a reader at any world
/// size finds the bytes it needs and checks them before use. Written last: a directory without
/// it is not a checkpoint.
public struct CheckpointManifest: Codable, Equatable {
    public static let magicValue = "qcs-sharded-checkpoint"
    public static let currentFormat = 1

    public var magic = Self.magicValue
    public var formatVersion = Self.currentFormat
    public var step: Int
    public var worldSize: Int
    /// Raw bytes per zstd frame the shards were cut into (the last frame of each is shorter).
    public var frameBytes: Int
    /// Each buffer's name and element count, in the order shards store them.
    public var buffers: [Buffer]
    /// The named tensors inside the buffers (official names), so any reader can cut them out.
    public var tensors: [TensorEntry]
    public var shards: [Shard]
    /// The caller's own records (cursor, resolved config, seeds, qcs version…), as JSON text by key.
    public var metadata: [String: String]

    public struct Buffer: Codable, Equatable {
        public var name: String
        /// Elements; for a per-rank buffer, every rank's together (rank r's in shard r's range).
        public var count: Int
        /// true: per-rank state, rank r's own part in shard r (absent: replicated, sliced).
        public var perRank: Bool?

        public var isPerRank: Bool { perRank == true }
    }

    /// A tensor: elements `offset ..< offset + shape.product` of `buffer`.
    public struct TensorEntry: Codable, Equatable {
        public var name: String
        public var shape: [Int]
        public var buffer: String
        public var offset: Int

        public init(name: String, shape: [Int], buffer: String, offset: Int) {
            self.name = name; self.shape = shape; self.buffer = buffer; self.offset = offset
        }
    }

    /// One rank's file: which element range of each buffer it holds, at which raw byte offset of
    /// its stream, and the file's size, checksum and frame table.
    public struct Shard: Codable, Equatable {
        public var file: String
        public var rank: Int
        public var ranges: [Range]
        public var summary: ShardSummary
        /// The hosts that keep this shard, its writer's first, then those with a copy (absent: the
        /// shard is only in this directory, which every rank reached).
        public var holders: [String]?

        public struct Range: Codable, Equatable {
            public var buffer: String
            public var lower: Int, upper: Int
            /// Where element `lower` starts in the shard's raw stream.
            public var rawOffset: Int
        }
    }

    public static func shardFile(rank: Int, of worldSize: Int) -> String {
        String(format: "shard-%05d-of-%05d.bin.zst", rank, worldSize)
    }

    public static func directoryName(step: Int) -> String { String(format: "step-%09d", step) }

    /// Reads and checks `DIR/manifest.json`: strict JSON, the fields this format has, and the
    /// rules of `structuralProblem` (every reader trusts what passes).
    public static func read(_ directory: String) throws -> CheckpointManifest {
        let path = directory + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.manifestMissing(directory: directory)
        }
        if let problem = JSONSyntax.problem(in: data) {
            throw CheckpointError.manifestUnreadable(file: path, reason: "\(problem)")
        }
        let manifest: CheckpointManifest
        do { manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data) } catch let error as DecodingError {
            throw CheckpointError.manifestUnreadable(file: path, reason: Self.describe(error))
        } catch {
            throw CheckpointError.manifestUnreadable(file: path, reason: "\(error)")
        }
        guard manifest.magic == magicValue else {
            throw CheckpointError.manifestUnreadable(file: path, reason: "not a qcs checkpoint manifest (magic '\(manifest.magic)')")
        }
        guard manifest.formatVersion <= currentFormat else {
            throw CheckpointError.manifestUnreadable(
                file: path, reason: "format \(manifest.formatVersion) is newer than this qcs reads (\(currentFormat)): update qcs")
        }
        if let problem = manifest.structuralProblem() {
            throw CheckpointError.manifestUnreadable(file: path, reason: "not a consistent manifest: \(problem)")
        }
        return manifest
    }

    /// A decoding error as the field it is about ("shards[1].summary.sha256: missing").
    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String {
            path.reduce("") { text, key in
                key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue)
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "the field \(field(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context):
            return "the field \(field(context.codingPath)) is not \(type == String.self ? "text" : "a \(type)")"
        case .valueNotFound(_, let context):
            return "the field \(field(context.codingPath)) is null"
        case .dataCorrupted(let context):
            return "the field \(field(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
