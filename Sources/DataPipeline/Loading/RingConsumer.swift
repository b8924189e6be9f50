/// The consuming side both loaders share: hands out the finished batches of a `PrefetchRing`
/// in order, readies the previous batch's buffer for reuse first, packs the items that survived
/// (a dropped task drops its whole item) to the front of the buffer, and makes a worker's error
/// final: it is thrown again on every later call.
final class RingConsumer {
    /// A finished batch: its index in the loader's plan, its buffer (kept items first) and which
    /// items were kept and dropped, in order.
    struct Batch {
        let index: Int
        let buffer: BatchBuffer
        let kept: [Int]
        let dropped: [Int]
        /// Tasks (images) that were dropped.
        let droppedTasks: Int
    }

    private let ring: PrefetchRing
    private let buffers: [BatchBuffer]
    private let itemCounts: [Int]
    private let tasksPerItem: Int
    private var held: Int?
    private var terminalError: Error?

    /// - Parameters: `itemCounts[b]` items in batch b, each `tasksPerItem` ring tasks.
    init(ring: PrefetchRing, buffers: [BatchBuffer], itemCounts: [Int], tasksPerItem: Int) {
        self.ring = ring
        self.buffers = buffers
        self.itemCounts = itemCounts
        self.tasksPerItem = tasksPerItem
    }

    deinit {
        ring.stop()
    }

    /// The next batch in order; nil after the last.
    func next() throws -> Batch? {
        if let terminalError { throw terminalError }
        if let held { buffers[held].prepareForReuse() }
        held = nil
        guard let done = ring.next() else { return nil }
        held = done.slot
        if let error = done.error {
            terminalError = error
            ring.stop()
            throw error
        }
        let buffer = buffers[done.slot]
        let droppedItems = Set(done.droppedTasks.map { $0 / tasksPerItem })
        let count = itemCounts[done.batch]
        let kept = (0..<count).filter { !droppedItems.contains($0) }
        if kept.count < count { buffer.compact(keeping: kept) }
        return Batch(index: done.batch, buffer: buffer, kept: kept, dropped: droppedItems.sorted(),
                     droppedTasks: done.droppedTasks.count)
    }
}
