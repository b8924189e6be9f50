import Imaging
import DataPipeline
import Foundation
import XCTest

/// The synthetic set must be learnable but not trivial: a linear classifier on raw pixels (what
/// a pipeline bug that leaks labels into colour or position would make easy) should land well
/// above chance (1/7) and well below perfect. Its accuracy is printed as a baseline for the
/// real model.
final class SyntheticDifficultyTests: XCTestCase {
    /// 16x16 grey pixels, standardised per image, plus a constant 1.
    private func features(_ image: RGBImage) -> [Double] {
        let small = image.resizedBilinear(size: 16)
        var grey = (0..<256).map { i -> Double in
            let p = i * 3
            return 0.299 * Double(small.pixels[p]) + 0.587 * Double(small.pixels[p + 1]) + 0.114 * Double(small.pixels[p + 2])
        }
        let mean = grey.reduce(0, +) / 256
        let sd = max((grey.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 256).squareRoot(), 1e-6)
        grey = grey.map { ($0 - mean) / sd }
        return grey + [1]
    }

    private func render(_ dataset: SyntheticDataset, _ split: SyntheticDataset.Split) -> [[Double]] {
        let n = dataset.count(split)
        let rows = RowBox(count: n)
        DispatchQueue.concurrentPerform(iterations: n) { i in rows.set(i, features(dataset.image(split, index: i))) }
        return rows.rows
    }

    func testLinearClassifierOnPixels_beatsChanceButIsFarFromPerfect() throws {
        let dataset = try SyntheticDataset(options: .init(seed: 2024, trainCount: 420, testCount: 280, imageSize: 32))
        let trainX = render(dataset, .train), testX = render(dataset, .test)
        let trainY = dataset.labels(.train).map(\.rawValue), testY = dataset.labels(.test).map(\.rawValue)
        let weights = RidgeClassifier.fit(trainX, trainY, classes: 7, lambda: 100)
        func accuracy(_ x: [[Double]], _ y: [Int]) -> Double {
            Double(zip(x, y).filter { RidgeClassifier.predict(weights, $0.0) == $0.1 }.count) / Double(y.count)
        }
        let train = accuracy(trainX, trainY), test = accuracy(testX, testY)
        print(String(format: "synthetic difficulty: ridge classifier on 16x16 grey pixels, 420 train / 280 test images at 32x32: "
                     + "train accuracy %.1f %%, test accuracy %.1f %% (chance 14.3 %%)", train * 100, test * 100))
        // 280 test images: one standard error is about 2.6 points, so 0.2 is several above chance.
        XCTAssertGreaterThan(test, 0.2, "expressions should be partly visible even to a linear model")
        XCTAssertLessThan(test, 0.75, "a linear model on pixels should not solve it")
    }
}

/// Rows written from parallel workers, each index once.
private final class RowBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var rows: [[Double]]
    init(count: Int) { rows = [[Double]](repeating: [], count: count) }
    func set(_ i: Int, _ row: [Double]) { lock.lock(); rows[i] = row; lock.unlock() }
}

/// One-vs-all least squares with an L2 penalty: W = (XᵀX + λI)⁻¹ XᵀY with one-hot Y, solved by
/// Cholesky. The smallest honest linear baseline.
enum RidgeClassifier {
    static func fit(_ x: [[Double]], _ y: [Int], classes: Int, lambda: Double) -> [[Double]] {
        let d = x[0].count
        var a = [Double](repeating: 0, count: d * d)
        var b = [[Double]](repeating: [Double](repeating: 0, count: d), count: classes)
        for (row, label) in zip(x, y) {
            for i in 0..<d {
                let ri = row[i]
                for j in 0...i { a[i * d + j] += ri * row[j] }
                b[label][i] += ri
            }
        }
        for i in 0..<d {
            for j in 0..<i { a[j * d + i] = a[i * d + j] }
            a[i * d + i] += lambda
        }
        // Cholesky: a = L Lᵀ, L stored in the lower triangle.
        for j in 0..<d {
            var s = a[j * d + j]
            for k in 0..<j { s -= a[j * d + k] * a[j * d + k] }
            let l = s.squareRoot()
            a[j * d + j] = l
            for i in (j + 1)..<max(d, j + 1) {
                var t = a[i * d + j]
                for k in 0..<j { t -= a[i * d + k] * a[j * d + k] }
                a[i * d + j] = t / l
            }
        }
        return b.map { rhs in
            var z = rhs
            for i in 0..<d {
                for k in 0..<i { z[i] -= a[i * d + k] * z[k] }
                z[i] /= a[i * d + i]
            }
            for i in stride(from: d - 1, through: 0, by: -1) {
                for k in (i + 1)..<max(d, i + 1) { z[i] -= a[k * d + i] * z[k] }
                z[i] /= a[i * d + i]
            }
            return z
        }
    }

    static func predict(_ w: [[Double]], _ x: [Double]) -> Int {
        let scores = w.map { zip($0, x).reduce(0) { $0 + $1.0 * $1.1 } }
        return scores.indices.max { scores[$0] < scores[$1] } ?? 0
    }
}
