import Foundation

/// Seconds a compressor spends on its own arithmetic (encoding, decoding, factorising), apart
/// from the time its messages take: what `qcs bench compress` reports as compression compute.
final class ComputeClock: @unchecked Sendable {
    private(set) var seconds = 0.0

    func time<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }

    func add(_ more: Double) { seconds += more }

    func reset() { seconds = 0 }
}
