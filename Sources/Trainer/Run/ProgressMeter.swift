import Foundation

/// Rate and time-to-go of a long loop, from the wall clock, smoothed over a recent window so a
/// slow first step (page faults, thread start-up) does not skew the estimate for long.
public struct ProgressMeter {
    public let total: Int
    private var times: [(done: Int, at: Double)] = []
    private let window: Int

    public init(total: Int, window: Int = 20) {
        self.total = total
        self.window = window
    }

    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public mutating func record(done: Int, at time: Double = ProgressMeter.now()) {
        times.append((done, time))
        if times.count > window { times.removeFirst(times.count - window) }
    }

    /// Items per second over the window, nil until two points exist.
    public var rate: Double? {
        guard let first = times.first, let last = times.last, last.done > first.done, last.at > first.at else { return nil }
        return Double(last.done - first.done) / (last.at - first.at)
    }

    /// Seconds until `total`.
    public var remaining: Double? {
        guard let rate, rate > 0, let last = times.last else { return nil }
        return Double(total - last.done) / rate
    }

    /// "1h02m", "4m10s", "12s".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// "812 B", "3.4 kB", "12.5 MB", "1.07 GB" (decimal units, like network rates).
    public static func bytes(_ count: Int) -> String {
        let x = Double(count)
        if x >= 1e9 { return String(format: "%.2f GB", x / 1e9) }
        if x >= 1e6 { return String(format: "%.1f MB", x / 1e6) }
        if x >= 1e3 { return String(format: "%.1f kB", x / 1e3) }
        return "\(count) B"
    }
}
