import Distributed

/// An epoch's training figures so far, over its applied steps (global sums from the step
/// decisions). Part of the training cursor, so an epoch resumed from a checkpoint reports all
/// of itself, not only the steps after the resume.
public struct EpochTally: Sendable, Equatable, Codable {
    public private(set) var figures = StepFigures()
    public private(set) var samples = 0
    /// Steps counted, and those among them that were not applied (left out of the figures).
    public private(set) var steps = 0, skipped = 0
    /// Resumed from a checkpoint that kept no tally: the steps before the resume are missing.
    public var partial = false

    public init() {}

    mutating func add(_ d: StepDecision, applied: Bool) {
        steps += 1
        guard applied else {
            skipped += 1
            return
        }
        figures = figures + d.figures
        samples += d.samples
    }

    var meanLoss: Double { samples > 0 ? figures.means(samples: samples).loss : .nan }
    var baseAccuracy: Double { samples > 0 ? figures.means(samples: samples).baseAccuracy : 0 }

    /// What the epoch's mean covers, when that is not every step of it ("" when it is).
    var coverage: String {
        if partial { return " (the steps since the resume only: its checkpoint kept no tally)" }
        return skipped > 0 ? " (over the \(steps - skipped) of \(steps) steps applied)" : ""
    }
}
