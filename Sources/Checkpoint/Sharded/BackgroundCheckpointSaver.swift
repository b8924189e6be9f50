import Distributed
import Foundation

/// Writes sharded checkpoints on a thread of its own, over a duplicate of the run's communicator,
/// so that training holds only while this rank's part of the state is copied
/// (`CheckpointStaging`): compression, hashing, writing, the ranks' agreement and the manifest
/// (written last, as `ShardedCheckpoint.save` always does) run while the next steps train.
///
/// One save is in flight at a time: a save asked for while the previous one is unfinished first
/// waits for it, and says how long. A save that fails fails on every rank alike (its agreement is
/// collective), and the failure is thrown by the next `save` or `wait` on every rank; the thread
/// runs nothing after it. A process killed during a save leaves the previous checkpoint as `latest`.
public final class BackgroundCheckpointSaver {
    /// A save that has finished: its step, directory, the caller's tag and its seconds on the thread.
    public struct Finished: Sendable, Equatable {
        public let step: Int
        public let directory: String
        public let tag: String?
        public let seconds: Double

        public init(step: Int, directory: String, tag: String?, seconds: Double) {
            self.step = step
            self.directory = directory
            self.tag = tag
            self.seconds = seconds
        }
    }

    /// How long a `save` held its caller: waiting for the previous save, then copying.
    public struct Hold: Sendable {
        public let waitedSeconds: Double
        public let copySeconds: Double
        public var seconds: Double { waitedSeconds + copySeconds }
    }

    private let thread = CommunicationThread(name: "qcs-checkpoint")
    private let communicator: Communicator
    private let staging = CheckpointStaging()
    private let finished = FinishedSaves()

    /// Collective: every rank makes its saver at the same point (the communicator is duplicated).
    public init(over communicator: Communicator) throws {
        self.communicator = try communicator.duplicate()
    }

    public var rank: Int { communicator.rank }

    /// Bytes this rank keeps for the copies (its shard's raw size, once the first save is made).
    public var stagingBytes: Int { staging.bytes }

    /// Copies this rank's part of `buffers` and queues their save as checkpoint `step` under
    /// `root`, pointing `root/latest` at it once published.
    @discardableResult
    public func save(_ buffers: [CheckpointBuffer], tensors: [CheckpointManifest.TensorEntry], step: Int,
                     metadata: [String: String], root: String, frameBytes: Int, fault: SaveFaultInjection? = nil,
                     tag: String? = nil, afterwards: @escaping (String) -> Void = { _ in }) throws -> Hold {
        try save(buffers, tensors: tensors, step: step, metadata: metadata,
                 placement: .shared(root + "/" + CheckpointManifest.directoryName(step: step), worldSize: communicator.size),
                 frameBytes: frameBytes, fault: fault, tag: tag, afterwards: afterwards)
    }

    /// Copies this rank's part of `buffers` and queues their save as checkpoint `step` where
    /// `placement` says (`ShardedCheckpoint.save`); `afterwards` runs on the thread once it is
    /// published, with this rank's directory of it. Throws the failure of an earlier save.
    @discardableResult
    public func save(_ buffers: [CheckpointBuffer], tensors: [CheckpointManifest.TensorEntry], step: Int,
                     metadata: [String: String], placement: ShardPlacement, frameBytes: Int,
                     level: Int32 = ShardedCheckpoint.defaultLevel, fault: SaveFaultInjection? = nil, tag: String? = nil,
                     afterwards: @escaping (String) -> Void = { _ in }) throws -> Hold {
        let start = Date()
        try thread.waitUntilIdle()
        let waited = Date().timeIntervalSince(start)
        let staged = staging.copy(buffers, rank: communicator.rank, worldSize: communicator.size)
        let copied = Date().timeIntervalSince(start) - waited
        let (communicator, finished) = (self.communicator, self.finished)
        thread.submit {
            let began = Date()
            try ShardedCheckpoint.save(staged, tensors: tensors, step: step, metadata: metadata, placement: placement,
                                       over: communicator, frameBytes: frameBytes, level: level, fault: fault)
            let directory = placement.directories[communicator.rank]
            afterwards(directory)
            finished.append(Finished(step: step, directory: directory, tag: tag, seconds: Date().timeIntervalSince(began)))
        }
        return Hold(waitedSeconds: waited, copySeconds: copied)
    }

    /// Saves finished since the last call, oldest first.
    public func takeFinished() -> [Finished] { finished.take() }

    /// Blocks until the save in flight (if any) is published; throws its failure or an earlier one.
    public func wait() throws { try thread.waitUntilIdle() }
}

/// The finished saves the thread hands to the caller.
private final class FinishedSaves: @unchecked Sendable {
    private let lock = NSLock()
    private var saves: [BackgroundCheckpointSaver.Finished] = []

    func append(_ save: BackgroundCheckpointSaver.Finished) { lock.withLock { saves.append(save) } }

    func take() -> [BackgroundCheckpointSaver.Finished] {
        lock.withLock {
            defer { saves.removeAll() }
            return saves
        }
    }
}
