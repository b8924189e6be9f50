import Foundation
import XCTest
@testable import DataPipeline

final class PrefetchRingTests: XCTestCase {
    /// Counters shared with the workers.
    final class Probe: @unchecked Sendable {
        let lock = NSLock()
        var returned = 0
        var maxAhead = Int.min
        var tasksRun = 0

        func record(batch: Int) {
            lock.lock(); defer { lock.unlock() }
            maxAhead = max(maxAhead, batch - returned)
            tasksRun += 1
        }
    }

    func testBatchesComeInOrder_andWorkNeverRunsMoreThanPrefetchAhead() {
        for prefetch in [1, 3] {
            let probe = Probe()
            let tasks = (0..<30).map { $0 % 4 == 3 ? 0 : 1 + $0 % 5 }   // some empty batches
            let ring = PrefetchRing(taskCount: tasks, threads: 3, prefetch: prefetch, name: "test") { batch, task, _ in
                probe.record(batch: batch)
                usleep(UInt32((batch * 7 + task * 13) % 5) * 100)   // uneven task lengths
                return task != 1
            }
            var order: [Int] = []
            while let done = ring.next() {
                XCTAssertEqual(done.slot, done.batch % (prefetch + 1))
                XCTAssertEqual(done.droppedTasks, tasks[done.batch] > 1 ? [1] : [])
                order.append(done.batch)
                probe.lock.lock(); probe.returned += 1; probe.lock.unlock()
            }
            ring.stop()
            XCTAssertEqual(order, Array(0..<30))
            XCTAssertEqual(probe.tasksRun, tasks.reduce(0, +))
            // Batch b may run while the consumer has received `returned` batches and given back the
            // one before: b ≤ (returned − 1) + prefetch + 1.
            XCTAssertLessThanOrEqual(probe.maxAhead, prefetch, "prefetch \(prefetch)")
        }
    }

    func testErrors_reportTheLowestFailingTaskOfTheBatch() {
        struct Failure: Error, Equatable { let task: Int }
        let ring = PrefetchRing(taskCount: [6], threads: 3, prefetch: 1, name: "test") { _, task, _ in
            usleep(UInt32(6 - task) * 300)   // later tasks finish first
            if task >= 2 { throw Failure(task: task) }
            return true
        }
        XCTAssertEqual(ring.next()?.error as? Failure, Failure(task: 2))
        ring.stop()
    }

    func testStop_afterTheConsumerLeavesEarly_runsNoMoreTasks() {
        let probe = Probe()
        let ring = PrefetchRing(taskCount: [Int](repeating: 4, count: 100), threads: 2, prefetch: 2, name: "test") { batch, _, _ in
            probe.record(batch: batch)
            usleep(200)
            return true
        }
        _ = ring.next()
        ring.stop()
        let ran = probe.tasksRun
        XCTAssertLessThanOrEqual(ran, 4 * 4, "at most the held batch and the prefetched ones")
        usleep(20_000)
        XCTAssertEqual(probe.tasksRun, ran, "no worker is left running after stop()")
        XCTAssertNil(ring.next())
    }
}
