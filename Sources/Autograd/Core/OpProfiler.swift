import Foundation

/// Wall-clock time spent per op, forward and backward, for one graph. Attach one to a graph
/// (`graph.profiler = OpProfiler()`) to see where a training step goes; without it the graph
/// pays nothing. Forward time of an op is the time since the previous op finished recording,
/// so it includes the model code between ops (small next to the kernels).
public final class OpProfiler {
    public struct Entry {
        public var op: String
        public var calls = 0
        public var forwardSeconds = 0.0
        public var backwardSeconds = 0.0
        public var totalSeconds: Double { forwardSeconds + backwardSeconds }

        mutating func addForward(_ seconds: Double) {
            calls += 1
            forwardSeconds += seconds
        }
    }

    private var entries: [String: Entry] = [:]
    private var lastMark: UInt64 = 0

    public init() {}

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Starts a forward interval (a new pass, or after work that is not an op).
    func mark() { lastMark = OpProfiler.now() }

    func forwardEnded(_ op: StaticString) {
        let t = OpProfiler.now()
        let key = op.description
        entries[key, default: Entry(op: key)].addForward(Double(t &- lastMark) / 1e9)
        lastMark = t
    }

    func addBackward(_ op: StaticString, seconds: Double) {
        let key = op.description
        entries[key, default: Entry(op: key)].backwardSeconds += seconds
    }

    /// Every op seen, most expensive first.
    public var report: [Entry] { entries.values.sorted { $0.totalSeconds > $1.totalSeconds } }

    /// A table of the ops, their calls and times, with each op's share of the total.
    public func formattedReport(limit: Int = 30) -> String {
        let rows = report
        let total = rows.reduce(0) { $0 + $1.totalSeconds }
        var lines = ["op                                            calls   forward s  backward s   share"]
        for e in rows.prefix(limit) {
            lines.append(e.op.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: " %7d %11.3f %11.3f %6.1f%%", e.calls, e.forwardSeconds, e.backwardSeconds,
                         total > 0 ? 100 * e.totalSeconds / total : 0))
        }
        lines.append(String(format: "total %.3f s", total))
        return lines.joined(separator: "\n")
    }
}
