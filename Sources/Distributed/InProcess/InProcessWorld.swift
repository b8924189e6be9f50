import Foundation

/// Threads standing in for ranks, so multi-rank logic (gradient buckets, the coordinator's
/// decisions, synchronised statistics) is unit-testable without mpirun.
///
/// `InProcessWorld.run(size: 3) { comm in … }` runs the body once per rank, each on its own
/// thread with its own `Communicator`, and returns every rank's result in rank order (or throws
/// the first rank's error). A rank that waits longer than `timeout` for the others throws
/// `CommunicationError.timedOut` instead of hanging the test.
public enum InProcessWorld {
    public static func run<R>(size: Int, ranksPerNode: Int? = nil, timeout: Double = 120,
                              _ body: @escaping @Sendable (Communicator) throws -> R) throws -> [R] {
        precondition(size >= 1, "an in-process world needs at least one rank")
        let hub = InProcessHub(size: size, timeout: timeout)
        let perNode = ranksPerNode ?? size
        let results = ResultSlots<R>(count: size)
        let threads = (0..<size).map { rank in
            Thread {
                let comm = InProcessCommunicator(hub: hub, rank: rank, ranksPerNode: perNode)
                results.set(rank, Result { try body(comm) })
                if case .failure = results.get(rank) { hub.fail() }
                results.done.signal()
            }
        }
        for t in threads {
            t.stackSize = 16 << 20
            t.start()
        }
        for _ in 0..<size { results.done.wait() }
        return try (0..<size).map { try results.get($0)!.get() }
    }
}

/// Each rank's outcome, written by its own thread.
private final class ResultSlots<R>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<R, Error>?]
    let done = DispatchSemaphore(value: 0)

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<R, Error>) { lock.withLock { slots[i] = r } }
    func get(_ i: Int) -> Result<R, Error>? { lock.withLock { slots[i] } }
}
