import Foundation

/// The threads of one rank: they run the blocks of every large GEMM (`productBlocks`) and the
/// elementwise and reduction kernels, from one setting, so ranks sharing a node never oversubscribe
/// it. It carries the engine's switches (`EngineOptions`) to every op and kernel it is given to.
public final class ComputePool: @unchecked Sendable {
    public let threads: Int
    public let options: EngineOptions
    /// Times the parallel regions when set (profiling only; set it before the pool is used).
    public var regionClock: ParallelRegionClock?

    /// More threads than this is a typo, not a machine: settings above it are refused where they
    /// are read (`threadCountProblem`), and the environment's are cut to it.
    public static let threadLimit = 1024

    /// What is wrong with `threads` as a setting (0 means automatic where `allowsAutomatic`), or nil.
    public static func threadCountProblem(_ threads: Int, allowsAutomatic: Bool) -> String? {
        let low = allowsAutomatic ? 0 : 1
        guard threads < low || threads > threadLimit else { return nil }
        return "must be between \(low) and \(threadLimit)\(allowsAutomatic ? " (0: automatic)" : ""), got \(threads); "
            + "this machine has \(onlineCores) cores"
    }

    /// The cores the operating system has online.
    public static var onlineCores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// - Parameters:
    ///   - threads: worker count; nil means `defaultThreadCount()`.
    ///   - options: the engine's switches (the defaults unless the process was started with others).
    public init(threads: Int? = nil, options: EngineOptions = EngineOptions()) {
        let n = threads ?? ComputePool.defaultThreadCount()
        self.threads = min(max(1, n), Self.threadLimit)
        self.options = options
        configureBLAS()
    }

    /// This process's share of the node: `QCS_THREADS`, else `OMP_NUM_THREADS` (both per process),
    /// else the online cores divided by the `ranksOnNode` processes that share them.
    public static func defaultThreadCount(ranksOnNode: Int = 1) -> Int {
        for key in ["QCS_THREADS", "OMP_NUM_THREADS"] {
            if let value = getenv(key), let n = Int(String(cString: value)), n > 0 { return min(n, threadLimit) }
        }
        return max(1, onlineCores / max(1, ranksOnNode))
    }

    /// Zeroes `count` floats from `pointer`, in chunks of 64 Ki floats on the pool's threads.
    public func zero(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count, grain: 1 << 16) { r in (pointer + r.lowerBound).update(repeating: 0, count: r.count) }
    }

    /// Runs `body` over `0..<count` split into contiguous chunks of at least `grain` items,
    /// one chunk per thread at most. Small jobs run inline: waking threads costs microseconds.
    public func parallelFor(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let per = (count + chunks - 1) / chunks
        regionClock?.enter()
        defer { regionClock?.leave() }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * per
            let end = min(count, start + per)
            if start < end { body(start..<end) }
        }
    }
}
