import Foundation

/// The text an evaluation prints: headline figures, a per-class table, the confusion matrix.
public struct EvaluationReport {
    public let metrics: ClassificationMetrics
    public let classNames: [String]

    public init(metrics: ClassificationMetrics, classNames: [String]) {
        self.metrics = metrics
        let n = metrics.confusion.classes
        self.classNames = (0..<n).map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
    }

    public var text: String {
        let m = metrics
        let nameWidth = max(12, (classNames.map(\.count).max() ?? 0) + 2)
        func left(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        var lines = [String(format: "accuracy %.2f %%   mean class accuracy %.2f %%   macro F1 %.4f",
                            m.accuracy * 100, m.meanClassAccuracy * 100, m.macroF1), ""]
        lines.append(left("class", nameWidth) + ["precision", "recall", "F1", "support"].map { right($0, 10) }.joined())
        for (k, name) in classNames.enumerated() {
            lines.append(left(name, nameWidth) + [f(m.precision[k]), f(m.recall[k]), f(m.f1[k]), String(m.support[k])]
                .map { right($0, 10) }.joined())
        }
        lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
        let cellWidth = max(7, String(m.confusion.counts.max() ?? 0).count + 2)
        // Column headers: class names cut to the cell width, so the table stays one screen wide.
        let headers = classNames.map { String($0.prefix(cellWidth - 1)) }
        lines.append(left("", nameWidth) + headers.map { right($0, cellWidth) }.joined())
        for (k, row) in m.confusion.rows.enumerated() {
            lines.append(left(classNames[k], nameWidth) + row.map { right(String($0), cellWidth) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
