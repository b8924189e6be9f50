/// The training figures of a step that every rank sums: what rank 0 reports (progress line,
/// metrics.jsonl, status) and what an epoch's tally, kept in checkpoints, adds up. Sums over
/// quadruplets, so that ranks of any slice size add exactly; divide by the samples for means.
public struct StepFigures: Sendable, Equatable, Codable {
    /// Σ of each quadruplet's loss (the mean of its eight cross-entropy terms), and of its base
    /// and cross halves.
    public var lossSum = 0.0, baseLossSum = 0.0, crossLossSum = 0.0
    /// Images (four per quadruplet) whose base, and cross, prediction was right.
    public var baseCorrect = 0.0, crossCorrect = 0.0

    public init() {}

    public init(lossSum: Double, baseLossSum: Double, crossLossSum: Double, baseCorrect: Double, crossCorrect: Double) {
        self.lossSum = lossSum; self.baseLossSum = baseLossSum; self.crossLossSum = crossLossSum
        self.baseCorrect = baseCorrect; self.crossCorrect = crossCorrect
    }

    static let count = 5

    var values: [Double] { [lossSum, baseLossSum, crossLossSum, baseCorrect, crossCorrect] }

    init(values v: ArraySlice<Double>) {
        let f = Array(v)
        self.init(lossSum: f[0], baseLossSum: f[1], crossLossSum: f[2], baseCorrect: f[3], crossCorrect: f[4])
    }

    public static func + (a: StepFigures, b: StepFigures) -> StepFigures {
        StepFigures(lossSum: a.lossSum + b.lossSum, baseLossSum: a.baseLossSum + b.baseLossSum,
                    crossLossSum: a.crossLossSum + b.crossLossSum, baseCorrect: a.baseCorrect + b.baseCorrect,
                    crossCorrect: a.crossCorrect + b.crossCorrect)
    }

    /// The means over `samples` quadruplets (accuracies over their 4·samples images).
    public func means(samples: Int) -> (loss: Double, baseLoss: Double, crossLoss: Double, baseAccuracy: Double,
                                        crossAccuracy: Double) {
        let n = Double(max(samples, 1))
        return (lossSum / n, baseLossSum / n, crossLossSum / n, baseCorrect / (4 * n), crossCorrect / (4 * n))
    }
}
