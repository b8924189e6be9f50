import Foundation

/// The scheduling shared by the loaders: batches 0..<batchCount, each split into independent
/// tasks (one per image), run by `threads` workers into a ring of `prefetch + 1` buffers and
/// handed to the consumer strictly in batch order.
///
/// 1. A worker takes the next task of the batch being dispatched; when that batch has no tasks
///    left it starts the next batch, but only if a ring slot is free (at most `prefetch` batches
///    beyond the one the consumer holds), otherwise it sleeps.
/// 2. A task writes into its batch's slot and reports success, "dropped" (a skipped image) or an
///    error. The last task of a batch marks the slot ready.
/// 3. `next()` releases the slot returned by the previous call, then waits for the next batch.
///
/// Tasks are pure functions of (batch, task) writing to disjoint memory, so the results never
/// depend on the thread count or on timing; only the order in which they finish does.
final class PrefetchRing: @unchecked Sendable {
    /// What happened to one finished batch.
    struct Completed {
        let batch: Int
        let slot: Int
        /// Tasks that reported a dropped image, ascending.
        let droppedTasks: [Int]
        /// The error of the lowest-numbered failing task, if any.
        let error: Error?
    }

    /// A task's work: `(batch, task, slot)` → true when done, false when its image was dropped.
    typealias Work = (_ batch: Int, _ task: Int, _ slot: Int) throws -> Bool

    let slotCount: Int
    private let batchCount: Int
    private let taskCount: [Int]
    private let condition = NSCondition()
    private var threads: [LoaderThread] = []

    // Guarded by `condition`.
    private var started = 0          // batches whose slot has been assigned
    private var dispatched = 0       // tasks of batch `started - 1` handed out
    private var released = 0         // batches the consumer has given back
    private var consumed = 0         // batches returned by next()
    private var stopping = false
    private var remaining: [Int]
    private var dropped: [[Int]]
    private var failure: [(task: Int, error: Error)?]

    /// - Parameter taskCount: tasks of each batch (0 is allowed: the batch is ready at once).
    init(taskCount: [Int], threads threadCount: Int, prefetch: Int, name: String, work: @escaping Work) {
        self.batchCount = taskCount.count
        self.taskCount = taskCount
        self.slotCount = prefetch + 1
        remaining = [Int](repeating: -1, count: slotCount)
        dropped = [[Int]](repeating: [], count: slotCount)
        failure = [(task: Int, error: Error)?](repeating: nil, count: slotCount)
        // Workers hold the ring, not its owner, so the owner's deinit can stop them.
        threads = (0..<threadCount).map { i in
            LoaderThread(name: "\(name)-\(i)") { [self] in self.workerLoop(work) }
        }
    }

    /// Stops the workers after their current task and waits for them. Idempotent.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        for thread in threads { thread.join() }
        threads = []
    }

    /// Gives back the slot of the previous batch and waits for the next; nil after the last batch
    /// (or after `stop()`).
    func next() -> Completed? {
        condition.lock()
        defer { condition.unlock() }
        if released < consumed {
            released = consumed
            condition.broadcast()
        }
        guard consumed < batchCount else { return nil }
        let slot = consumed % slotCount
        while !stopping && !(consumed < started && remaining[slot] == 0) { condition.wait() }
        if stopping { return nil }
        let done = Completed(batch: consumed, slot: slot, droppedTasks: dropped[slot].sorted(),
                             error: failure[slot]?.error)
        consumed += 1
        return done
    }

    // MARK: - Workers

    private func workerLoop(_ work: Work) {
        condition.lock()
        while let next = takeTask() {
            condition.unlock()
            let (batch, task) = next
            let slot = batch % slotCount
            var outcome: Result<Bool, Error>
            do { outcome = .success(try work(batch, task, slot)) } catch { outcome = .failure(error) }
            condition.lock()
            switch outcome {
            case .success(true): break
            case .success(false): dropped[slot].append(task)
            case .failure(let error):
                if failure[slot].map({ task < $0.task }) ?? true { failure[slot] = (task, error) }
            }
            remaining[slot] -= 1
            if remaining[slot] == 0 { condition.broadcast() }
        }
        condition.unlock()
    }

    /// The next task to run, waiting for a free slot if needed; nil when stopping or when every
    /// batch has been handed out. Called with the lock held.
    private func takeTask() -> (batch: Int, task: Int)? {
        while !stopping {
            if started > 0 && dispatched < taskCount[started - 1] {
                dispatched += 1
                return (started - 1, dispatched - 1)
            }
            if started == batchCount { return nil }
            if started - released < slotCount {
                let slot = started % slotCount
                remaining[slot] = taskCount[started]
                dropped[slot].removeAll(keepingCapacity: true)
                failure[slot] = nil
                started += 1
                dispatched = 0
                if remaining[slot] == 0 { condition.broadcast() }
                continue
            }
            condition.wait()
        }
        return nil
    }
}
