import XCTest
@testable import Reports

final class ClassificationMetricsTests: XCTestCase {
    /// Rows = truth. Class 2 never occurs but is predicted once.
    ///     [5 1 0]
    ///     [2 3 1]
    ///     [0 0 0]
    let matrix = ConfusionMatrix(rows: [[5, 1, 0], [2, 3, 1], [0, 0, 0]])!

    func testHandComputed_accuracyPrecisionRecallF1() {
        let m = ClassificationMetrics(confusion: matrix)
        XCTAssertEqual(m.support, [6, 6, 0])
        XCTAssertEqual(m.predicted, [7, 4, 1])
        XCTAssertEqual(m.accuracy, 8.0 / 12.0, accuracy: 1e-12)
        XCTAssertEqual(m.precision[0], 5.0 / 7.0, accuracy: 1e-12)
        XCTAssertEqual(m.precision[1], 3.0 / 4.0, accuracy: 1e-12)
        XCTAssertEqual(m.precision[2], 0)
        XCTAssertEqual(m.recall[0], 5.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(m.recall[1], 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.recall[2], 0)
        // F1 = 2PR/(P+R): (2·5/7·5/6)/(5/7+5/6) = 10/13; (2·0.75·0.5)/1.25 = 0.6.
        XCTAssertEqual(m.f1[0], 10.0 / 13.0, accuracy: 1e-12)
        XCTAssertEqual(m.f1[1], 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.f1[2], 0)
    }

    func testMeanClassAccuracy_averagesOnlyClassesPresentInTheSplit() {
        let m = ClassificationMetrics(confusion: matrix)
        XCTAssertEqual(m.meanClassAccuracy, (5.0 / 6.0 + 0.5) / 2, accuracy: 1e-12)
        XCTAssertEqual(m.macroF1, (10.0 / 13.0 + 0.6) / 2, accuracy: 1e-12)
    }

    func testImbalancedSplit_meanClassAccuracyDiffersFromAccuracy() {
        // 90 of class 0 all right, 10 of class 1 all wrong: accuracy 0.9, mean class accuracy 0.5.
        let m = ClassificationMetrics(confusion: ConfusionMatrix(rows: [[90, 0], [10, 0]])!)
        XCTAssertEqual(m.accuracy, 0.9, accuracy: 1e-12)
        XCTAssertEqual(m.meanClassAccuracy, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.precision[0], 0.9, accuracy: 1e-12)
    }

    func testEmptyMatrix_givesZerosNotNaN() {
        let m = ClassificationMetrics(confusion: ConfusionMatrix(classes: 3))
        XCTAssertEqual(m.accuracy, 0)
        XCTAssertEqual(m.meanClassAccuracy, 0)
        XCTAssertEqual(m.f1, [0, 0, 0])
    }

    func testConfusionMatrix_addIgnoresLabelsOutOfRange() {
        var c = ConfusionMatrix(classes: 2)
        XCTAssertTrue(c.add(truth: 1, predicted: 0))
        XCTAssertFalse(c.add(truth: 2, predicted: 0))
        XCTAssertFalse(c.add(truth: 0, predicted: -1))
        XCTAssertEqual(c.rows, [[0, 0], [1, 0]])
        XCTAssertEqual(c.total, 1)
    }

    func testConfusionMatrix_flatFloatsRoundTripAndRejectFractions() {
        XCTAssertEqual(ConfusionMatrix(classes: 3, flat: matrix.flatFloats), matrix)
        XCTAssertNil(ConfusionMatrix(classes: 2, flat: [1, 2, 3]))
        XCTAssertNil(ConfusionMatrix(classes: 1, flat: [0.5]))
        XCTAssertNil(ConfusionMatrix(rows: [[1, 2], [3]]))
        XCTAssertEqual((matrix + matrix)[1, 0], 4)
    }

    func testCSV_headerRowsAndQuotedNames() {
        let csv = ConfusionMatrix(rows: [[1, 2], [3, 4]])!.csv(classNames: ["a,b", "c"])
        XCTAssertEqual(csv, "true\\predicted,\"a,b\",c\n\"a,b\",1,2\nc,3,4\n")
    }

    func testReport_listsEveryClassAndTheMatrix() {
        let text = EvaluationReport(metrics: ClassificationMetrics(confusion: matrix), classNames: ["Happy", "Sad"]).text
        XCTAssertTrue(text.contains("accuracy 66.67 %"), text)
        XCTAssertTrue(text.contains("mean class accuracy 66.67 %"), text)
        XCTAssertTrue(text.contains("class 2"), "a class without a name gets a numbered one")
        let lines = text.split(separator: "\n")
        let sadRows = lines.filter { $0.hasPrefix("Sad ") }
        XCTAssertEqual(sadRows.count, 2, "one per-class line and one matrix row")
        XCTAssertEqual(sadRows.last?.split(separator: " ").dropFirst().map(String.init), ["2", "3", "1"])
    }
}
