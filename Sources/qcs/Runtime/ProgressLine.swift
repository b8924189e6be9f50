import Foundation
import Trainer

/// A progress line on standard error: rewritten in place on a terminal (at most 4 times a
/// second), one line per tenth of the work otherwise (logs stay short). Safe to call from any
/// thread.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let unit: String
    private var meter: ProgressMeter
    private let lock = NSLock()
    private var lastPrinted = -Double.infinity
    private var lastDecile = 0
    private var done = 0
    private let enabled: Bool

    init(_ label: String, total: Int, unit: String = "images", enabled: Bool = true) {
        self.label = label
        self.unit = unit
        meter = ProgressMeter(total: total)
        self.enabled = enabled && total > 0
        meter.record(done: 0)
    }

    /// Reports that `count` more items are done.
    func advance(by count: Int = 1) {
        lock.lock(); defer { lock.unlock() }
        update(done + count)
    }

    /// Reports that `done` items are done in all.
    func update(to done: Int) {
        lock.lock(); defer { lock.unlock() }
        update(done)
    }

    /// Ends the line (prints the final count).
    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled else { return }
        StandardError.print((StandardError.isTerminal ? "\r" : "") + line(), terminator: "\n")
    }

    private func update(_ value: Int) {
        done = value
        guard enabled else { return }
        let now = ProgressMeter.now()
        meter.record(done: value, at: now)
        if StandardError.isTerminal {
            guard now - lastPrinted >= 0.25 else { return }
            lastPrinted = now
            StandardError.print("\r" + line() + "   ", terminator: "")
        } else {
            let decile = value * 10 / max(meter.total, 1)
            guard decile > lastDecile, value < meter.total else { return }
            lastDecile = decile
            StandardError.print(line())
        }
    }

    private func line() -> String {
        var text = "\(label): \(done)/\(meter.total) \(unit)"
        if let rate = meter.rate { text += String(format: ", %.0f/s", rate) }
        if done < meter.total, let remaining = meter.remaining { text += ", \(ProgressMeter.duration(remaining)) to go" }
        return text
    }
}
