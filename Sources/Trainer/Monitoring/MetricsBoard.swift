import Foundation

/// The newest figures of a run, as Prometheus reads them: gauges and counters by name, with
/// labels, written by the training loop and read by the metrics endpoint's thread.
public final class MetricsBoard: @unchecked Sendable {
    public enum Kind: String, Sendable { case gauge, counter }

    struct Sample {
        var help: String
        var kind: Kind
        var values: [String: Double]  // label text ("" or `rank="1"`) → value
    }

    private let lock = NSLock()
    private var samples: [String: Sample] = [:]
    private var order: [String] = []
    /// Ages computed when read: (gauge name, help, the timestamp gauge it is the age of).
    private var ages: [(name: String, help: String, timestamp: String)] = []

    public init() {}

    public func set(_ name: String, _ value: Double, help: String, kind: Kind = .gauge, labels: String = "") {
        lock.lock(); defer { lock.unlock() }
        if samples[name] == nil { order.append(name); samples[name] = Sample(help: help, kind: kind, values: [:]) }
        samples[name]?.values[labels] = value
    }

    /// A gauge read as the seconds since the Unix time in gauge `timestamp` (absent until it is set).
    public func age(_ name: String, help: String, of timestamp: String) {
        lock.lock(); defer { lock.unlock() }
        ages.append((name, help, timestamp))
    }

    public func value(_ name: String, labels: String = "") -> Double? {
        lock.lock(); defer { lock.unlock() }
        return samples[name]?.values[labels]
    }

    /// The Prometheus text exposition format (version 0.0.4).
    public func text(now: Date = Date()) -> String {
        lock.lock(); defer { lock.unlock() }
        var out = ""
        for name in order {
            guard let sample = samples[name] else { continue }
            out += "# HELP \(name) \(sample.help)\n# TYPE \(name) \(sample.kind.rawValue)\n"
            for labels in sample.values.keys.sorted() {
                out += "\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(Self.number(sample.values[labels]!))\n"
            }
        }
        for a in ages {
            guard let time = samples[a.timestamp]?.values[""] else { continue }
            let age = now.timeIntervalSince1970 - time
            out += "# HELP \(a.name) \(a.help)\n# TYPE \(a.name) gauge\n\(a.name) \(Self.number(age))\n"
        }
        return out
    }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "+Inf" : "-Inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}
