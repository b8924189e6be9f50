import Foundation

/// A contiguous float32 allocation. When the last tensor using it goes away the memory returns
/// to the pool it came from, so a training loop that allocates the same activations every step
/// reuses the same memory instead of faulting in fresh pages.
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Floats actually allocated: `count`, or more when the pool lent a larger parked buffer.
    private let capacity: Int
    private let pool: BufferPool?

    /// Memory owned by `pool` (returned to it on release) or, without a pool, by this object.
    init(count: Int, pool: BufferPool?) {
        self.count = count
        self.pool = pool
        if let pool {
            (pointer, capacity) = pool.take(count)
        } else {
            pointer = BufferPool.allocateAligned(count)
            capacity = count
        }
    }

    /// A fresh, pool-less allocation of `count` zeros (parameters, optimizer state, fixtures).
    public convenience init(zeros count: Int) {
        self.init(count: count, pool: nil)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit {
        if let pool {
            pool.give(pointer, capacity)
        } else {
            free(pointer)
        }
    }
}

/// Free lists of float buffers keyed by element count. Thread-safe: loader threads and the
/// compute thread may allocate concurrently.
///
/// A request no parked buffer of its exact size can serve takes the smallest parked one up to
/// `slack` times larger before allocating: with exact sizes only, the paper-size step left 15 %
/// of its pool parked at its peak, in buffers of sizes it no longer asked for.
public final class BufferPool: @unchecked Sendable {
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private let lock = NSLock()
    /// Bytes currently parked in the free lists plus bytes handed out.
    public private(set) var bytesReserved = 0
    /// Bytes handed out and not yet given back, and the most there have been at once.
    public private(set) var bytesInUse = 0
    public private(set) var peakBytesInUse = 0

    public init() {}

    deinit {
        for list in free.values { for p in list { Foundation.free(p) } }
    }

    static func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        // 64-byte alignment: a full AVX-512 vector, what OpenBLAS prefers for its packing.
        let status = posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Float>.stride)
        guard status == 0, let raw else {
            fatalError("out of memory allocating \(count) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// How much larger than the request a lent parked buffer may be.
    static let slack = 1.5

    /// A buffer of at least `count` floats and its capacity.
    func take(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        defer { lock.unlock() }
        let size = free[count]?.isEmpty == false ? count : smallestParked(from: count)
        if let size, var list = free[size], let p = list.popLast() {
            free[size] = list
            noteTaken(size)
            return (p, size)
        }
        noteTaken(count)
        bytesReserved += count * MemoryLayout<Float>.stride
        return (BufferPool.allocateAligned(count), count)
    }

    private func smallestParked(from count: Int) -> Int? {
        let limit = Int(Double(count) * BufferPool.slack)
        return free.lazy.filter { $0.key >= count && $0.key <= limit && !$0.value.isEmpty }.map(\.key).min()
    }

    private func noteTaken(_ count: Int) {
        bytesInUse += count * MemoryLayout<Float>.stride
        peakBytesInUse = max(peakBytesInUse, bytesInUse)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        #if DEBUG
        // A kernel that still reads a released buffer (a pointer kept without its tensor) then
        // reads NaN, which the tests' comparisons catch, instead of stale but plausible values.
        pointer.update(repeating: .nan, count: count)
        #endif
        lock.lock()
        bytesInUse -= count * MemoryLayout<Float>.stride
        free[count, default: []].append(pointer)
        lock.unlock()
    }

    /// Returns every parked buffer to the system (after a phase with different shapes).
    public func trim() {
        lock.lock()
        for (count, list) in free {
            for p in list { Foundation.free(p) }
            bytesReserved -= count * MemoryLayout<Float>.stride * list.count
        }
        free.removeAll()
        lock.unlock()
    }
}
