/// `distributed.rank_weights: auto`: each rank's speed (quadruplets per compute second) over its
/// last `window` steps, from the step decisions every rank receives, so every rank derives the
/// same weights with no extra message.
public struct RankSpeeds: Sendable {
    public let window: Int
    private var recent: [[(samples: Int, seconds: Double)]] = []

    public init(window: Int = 20) { self.window = window }

    public mutating func record(_ decision: StepDecision) {
        if recent.count != decision.reports.count { recent = Array(repeating: [], count: decision.reports.count) }
        for (r, report) in decision.reports.enumerated() where report.samples > 0 {
            recent[r].append((report.samples, report.computeSeconds))
            if recent[r].count > window { recent[r].removeFirst() }
        }
    }

    /// Weights proportional to measured speed, or nil while some rank has no measurement.
    public var weights: [Double]? {
        guard !recent.isEmpty else { return nil }
        let speeds = recent.map { steps -> Double in
            let seconds = steps.reduce(0) { $0 + $1.seconds }
            return seconds > 0 ? Double(steps.reduce(0) { $0 + $1.samples }) / seconds : 0
        }
        return speeds.allSatisfy({ $0 > 0 && $0.isFinite }) ? speeds : nil
    }
}
