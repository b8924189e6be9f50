import Foundation

/// Seconds a compressor spends on its own arithmetic (encoding, decoding, factorising), apart
/// from the time its messages take: what `qcs bench compress` reports as compression compute.
public final class ComputeClock: @unchecked Sendable {
    public private(set) var seconds = 0.0

    public init() {}

    func time<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }

    func add(_ more: Double) { seconds += more }

    public func reset() { seconds = 0 }
}

/// A compressor that times its own arithmetic: the `BucketSum` statistics come from its clock.
public protocol MeteredBucketSum: BucketSum {
    var clock: ComputeClock { get }
}

extension MeteredBucketSum {
    public var computeSeconds: Double { clock.seconds }
    public func resetComputeSeconds() { clock.reset() }
}
