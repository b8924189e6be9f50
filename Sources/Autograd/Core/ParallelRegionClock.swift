import Foundation
import Synchronization

/// How long a pool's threads run side by side: the wall time spent inside the pool's parallel
/// regions (a `parallelFor` or a product cut into blocks that actually used more than one
/// thread), outermost regions only. The rest of a step ran on the calling thread alone, which is
/// the serial share Amdahl's law projects from (`qcs bench model --profile`).
public final class ParallelRegionClock: Sendable {
    private let depth = Atomic<Int>(0)
    private let start = Atomic<UInt64>(0)
    private let total = Atomic<UInt64>(0)

    public init() {}

    /// Seconds spent inside parallel regions so far.
    public var seconds: Double { Double(total.load(ordering: .relaxed)) / 1e9 }

    func enter() {
        if depth.add(1, ordering: .acquiringAndReleasing).oldValue == 0 {
            start.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        }
    }

    func leave() {
        if depth.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            total.add(DispatchTime.now().uptimeNanoseconds &- start.load(ordering: .relaxed), ordering: .relaxed)
        }
    }
}
