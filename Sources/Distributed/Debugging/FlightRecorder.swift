import Foundation

/// The last collectives this rank made, kept in memory so that a stalled rank can say what it
/// was doing (`StallWatchdog`): each with its communicator, call, and when it started and ended;
/// the one still waiting has no end. Thread-safe: the gradient exchange records from its thread.
public final class FlightRecorder: @unchecked Sendable {
    public struct Entry: Sendable {
        public var communicator: String
        public var call: String
        public var started: Date
        public var finished: Date?
    }

    public let capacity: Int
    private var entries: [Entry] = []
    private var first = 0
    private var recorded = 0
    private let lock = NSLock()

    public init(capacity: Int = 64) { self.capacity = max(1, capacity) }

    /// Records a call as started; the token ends it.
    func begin(_ communicator: String, _ call: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let entry = Entry(communicator: communicator, call: call, started: Date(), finished: nil)
        if entries.count < capacity { entries.append(entry) } else { entries[recorded % capacity] = entry }
        recorded += 1
        first = max(0, recorded - capacity)
        return recorded - 1
    }

    func end(_ token: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard token >= first && token < recorded else { return }
        entries[token % capacity].finished = Date()
    }

    /// Oldest first.
    public func snapshot() -> [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return (first..<recorded).map { entries[$0 % capacity] }
    }

    /// Collectives started and not ended, oldest first.
    public var inFlight: [Entry] { snapshot().filter { $0.finished == nil } }
}
