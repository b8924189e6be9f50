import Foundation

/// The meeting point of an in-process world: each collective is one round in which every rank
/// posts its buffers, waits for the others, reads what it needs, and waits again so that no rank
/// leaves (and reuses its buffer) while another still reads it.
final class InProcessHub: @unchecked Sendable {
    let size: Int
    let timeout: Double
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    private var failed = false
    /// What each rank posted for the current round.
    private var posts: [Any?]

    init(size: Int, timeout: Double) {
        self.size = size
        self.timeout = timeout
        posts = Array(repeating: nil, count: size)
    }

    /// Marks the world broken (a rank threw): every waiting and later call fails at once.
    func fail() {
        condition.lock()
        failed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Posts `value`, waits until every rank has posted, runs `read` with all posts, then waits
    /// until every rank has read.
    func round<R>(rank: Int, call: String, post value: Any, read: ([Any]) throws -> R) throws -> R {
        condition.lock()
        posts[rank] = value
        condition.unlock()
        try wait(rank: rank, call: call)
        condition.lock()
        let all = posts.map { $0! }
        condition.unlock()
        let result = try read(all)
        try wait(rank: rank, call: call)
        return result
    }

    /// A barrier with a deadline.
    private func wait(rank: Int, call: String) throws {
        condition.lock()
        defer { condition.unlock() }
        if failed { throw CommunicationError.timedOut(call: call, rank: rank, seconds: 0) }
        let mine = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
            return
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while generation == mine {
            if failed { throw CommunicationError.timedOut(call: call, rank: rank, seconds: 0) }
            if !condition.wait(until: deadline) {
                failed = true
                condition.broadcast()
                throw CommunicationError.timedOut(call: call, rank: rank, seconds: timeout)
            }
        }
    }
}
