import Foundation

/// A thread of its own that runs communication jobs in submission order, so blocking MPI calls
/// proceed while the submitting thread computes. After a job throws, later jobs are skipped (a
/// failed collective leaves the ranks out of step) and `waitUntilIdle` throws the error, then and
/// on every later call: the ranks cannot be trusted to be in step again.
/// The thread ends when its owner is released.
public final class CommunicationThread {
    private let queue = JobQueue()

    public init(name: String) {
        let queue = self.queue
        let thread = Thread { queue.run() }
        thread.name = name
        thread.start()
    }

    deinit { queue.stop() }

    /// Queues `job` behind the ones already submitted.
    public func submit(_ job: @escaping () throws -> Void) { queue.submit(job) }

    /// Blocks until every submitted job has run; throws the first failure, if any job ever failed.
    public func waitUntilIdle() throws { try queue.waitUntilIdle() }
}

/// The jobs and their thread's loop (owned by the thread, so it outlives the owner's release).
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() throws -> Void] = []
    private var running = false
    private var stopping = false
    private var failure: Error?

    func submit(_ job: @escaping () throws -> Void) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilIdle() throws {
        condition.lock()
        while !jobs.isEmpty || running { condition.wait() }
        let error = failure
        condition.unlock()
        if let error { throw error }
    }

    func run() {
        condition.lock()
        while true {
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty { break }
            let job = jobs.removeFirst()
            let skip = failure != nil
            running = true
            condition.unlock()
            var thrown: Error?
            if !skip {
                do { try job() } catch { thrown = error }
            }
            condition.lock()
            if let thrown, failure == nil { failure = thrown }
            running = false
            condition.broadcast()
        }
        condition.unlock()
    }
}
