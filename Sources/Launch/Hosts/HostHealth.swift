import Foundation

/// What the supervisor knows about each host's failures. A host whose rank failed is set aside
/// for `cooldown` and taken back once that has passed and it answers a probe; a second failure
/// within `window` blacklists it for a cooldown that doubles with each blacklisting (a host that
/// keeps failing costs a restart less and less often). Drained hosts stay out until added again.
public struct HostHealth: Sendable {
    public struct Record: Sendable, Equatable {
        public var failures: [Date] = []
        /// Out until then (set aside or blacklisted); nil: usable.
        public var outUntil: Date?
        public var blacklistings = 0
        public var drained = false
    }

    /// Failures this close together blacklist a host.
    public var window: TimeInterval
    /// How long a failed host is left out; a blacklisting's first cooldown, doubled each time after.
    public var cooldown: TimeInterval
    public private(set) var records: [String: Record] = [:]

    public init(window: TimeInterval = 600, cooldown: TimeInterval = 60) {
        self.window = window
        self.cooldown = cooldown
    }

    /// What a failure did to a host.
    public enum Verdict: Equatable, Sendable {
        case setAside(until: Date)
        case blacklisted(until: Date, times: Int)
    }

    public mutating func recordFailure(of host: String, at now: Date) -> Verdict {
        var r = records[host] ?? Record()
        r.failures = r.failures.filter { now.timeIntervalSince($0) <= window } + [now]
        let verdict: Verdict
        if r.failures.count >= 2 {
            r.blacklistings += 1
            let until = now.addingTimeInterval(cooldown * pow(2, Double(r.blacklistings - 1)))
            r.failures = []
            verdict = .blacklisted(until: until, times: r.blacklistings)
            r.outUntil = until
        } else {
            let until = now.addingTimeInterval(cooldown)
            verdict = .setAside(until: until)
            r.outUntil = until
        }
        records[host] = r
        return verdict
    }

    public mutating func drain(_ host: String) { records[host, default: Record()].drained = true }

    public mutating func undrain(_ host: String) { records[host, default: Record()].drained = false }

    /// Whether `host` may be launched on at `now` (its probe aside).
    public func isUsable(_ host: String, at now: Date) -> Bool {
        guard let r = records[host] else { return true }
        return !r.drained && (r.outUntil.map { now >= $0 } ?? true)
    }

    /// When the next host left out comes back, if any does.
    public func nextReturn(after now: Date) -> Date? {
        records.values.filter { !$0.drained }.compactMap(\.outUntil).filter { $0 > now }.min()
    }
}
