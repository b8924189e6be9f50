/// The figures of a classification evaluation, all read off one confusion matrix
/// (row = truth, column = prediction).
///
/// Conventions where a ratio has no denominator (as scikit-learn's `zero_division=0`):
/// precision of a class never predicted is 0, recall of a class absent from the split is 0, and
/// F1 is 0 when precision + recall is 0. Mean class accuracy averages recall over the classes
/// that occur in the split only, so a split without some class is not penalised for it.
public struct ClassificationMetrics: Sendable, Equatable {
    public let confusion: ConfusionMatrix
    /// Correct / total (0 for an empty matrix).
    public let accuracy: Double
    /// Mean recall over the classes present in the split (what FER papers call mean accuracy).
    public let meanClassAccuracy: Double
    /// Per class, indexed by label.
    public let precision: [Double]
    public let recall: [Double]
    public let f1: [Double]
    /// Images of each class in the split (row sums).
    public let support: [Int]
    /// Predictions of each class (column sums).
    public let predicted: [Int]

    public init(confusion m: ConfusionMatrix) {
        let n = m.classes
        let support = (0..<n).map { r in (0..<n).reduce(0) { $0 + m[r, $1] } }
        let predicted = (0..<n).map { c in (0..<n).reduce(0) { $0 + m[$1, c] } }
        let correct = (0..<n).reduce(0) { $0 + m[$1, $1] }
        func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
        let precision = (0..<n).map { ratio(m[$0, $0], predicted[$0]) }
        let recall = (0..<n).map { ratio(m[$0, $0], support[$0]) }
        let present = (0..<n).filter { support[$0] > 0 }
        confusion = m
        self.support = support
        self.predicted = predicted
        self.precision = precision
        self.recall = recall
        f1 = zip(precision, recall).map { p, r in p + r > 0 ? 2 * p * r / (p + r) : 0 }
        accuracy = ratio(correct, m.total)
        meanClassAccuracy = present.isEmpty ? 0 : present.reduce(0) { $0 + recall[$1] } / Double(present.count)
    }

    /// Macro-averaged F1 over the classes present in the split.
    public var macroF1: Double {
        let present = support.indices.filter { support[$0] > 0 }
        return present.isEmpty ? 0 : present.reduce(0) { $0 + f1[$1] } / Double(present.count)
    }
}
