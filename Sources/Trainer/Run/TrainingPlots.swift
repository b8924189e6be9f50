import Imaging
import DataPipeline
import Foundation
import Reports

/// The run's pictures, redrawn after each evaluation from metrics.jsonl, so a resumed run's
/// curves cover the whole run: `plots/loss.png`, `plots/accuracy.png` and `plots/confusion.png`
/// (the newest evaluation).
struct TrainingPlots {
    let directory: URL

    /// Points per curve at most: the step records are averaged in that many bins.
    static let resolution = 400

    func refresh(metrics: URL, confusion: ConfusionMatrix, classNames: [String]) throws {
        let curves = try TrainingCurves(metrics: metrics)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let loss = CurvePlot(title: "LOSS", xLabel: "STEP", series: [
            .init(name: "train (step)", color: CurvePlot.blue, points: Self.binned(curves.stepLoss)),
            .init(name: "train (epoch)", color: CurvePlot.orange, points: curves.epochLoss, marked: true),
        ])
        let accuracy = CurvePlot(title: "ACCURACY", xLabel: "STEP", series: [
            .init(name: "train base (step)", color: CurvePlot.blue, points: Self.binned(curves.stepAccuracy)),
            .init(name: "test", color: CurvePlot.red, points: curves.testAccuracy, marked: true),
        ], yRange: 0...1)
        try write(loss.render(), "loss.png")
        try write(accuracy.render(), "accuracy.png")
        try write(ConfusionHeatMap(matrix: confusion, classNames: classNames).render(), "confusion.png")
    }

    /// Written beside and renamed into place, so a viewer never shows half a picture.
    private func write(_ image: RGBImage, _ name: String) throws {
        let target = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).tmp")
        try ImageEncoder.write(image, to: temporary.path, as: .png)
        guard rename(temporary.path, target.path) == 0 else {
            throw RunError.cannotCreate(path: target.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Means over consecutive runs of points, at most `resolution` of them.
    static func binned(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        let size = max(1, (points.count + resolution - 1) / resolution)
        guard size > 1 else { return points }
        return stride(from: 0, to: points.count, by: size).map { start in
            let bin = points[start..<min(start + size, points.count)]
            let n = Double(bin.count)
            return (bin.reduce(0) { $0 + $1.x } / n, bin.reduce(0) { $0 + $1.y } / n)
        }
    }
}

/// The curves of metrics.jsonl. Where a resumed run repeated steps after its checkpoint, the
/// later record of a step wins.
struct TrainingCurves {
    var stepLoss: [(x: Double, y: Double)] = []
    var stepAccuracy: [(x: Double, y: Double)] = []
    var epochLoss: [(x: Double, y: Double)] = []
    var testAccuracy: [(x: Double, y: Double)] = []

    init(metrics: URL) throws {
        let text = try String(contentsOf: metrics, encoding: .utf8)
        var steps: [Int: [String: Any]] = [:], epochs: [Int: [String: Any]] = [:]
        for line in text.split(separator: "\n") {
            guard let data = line.data(using: .utf8),
                  let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let step = record["step"] as? Int else { continue }
            switch record["kind"] as? String {
            case "step"?: steps[step] = record
            case "epoch"?: epochs[step] = record
            default: continue
            }
        }
        func series(_ records: [Int: [String: Any]], _ key: String) -> [(x: Double, y: Double)] {
            records.keys.sorted().compactMap { step in (records[step]?[key] as? Double).map { (Double(step), $0) } }
        }
        stepLoss = series(steps, "loss")
        stepAccuracy = series(steps, "base_accuracy")
        epochLoss = series(epochs, "loss")
        testAccuracy = series(epochs, "test_accuracy")
    }
}
