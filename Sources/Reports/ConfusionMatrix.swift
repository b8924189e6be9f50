/// Counts of (true class, predicted class) pairs: row = truth, column = prediction. Kept as a
/// flat row-major array so ranks can sum their matrices with one allreduce.
public struct ConfusionMatrix: Sendable, Equatable {
    public let classes: Int
    /// classes · classes counts, row-major (row = true class).
    public private(set) var counts: [Int]

    public init(classes: Int) {
        self.classes = max(classes, 0)
        counts = [Int](repeating: 0, count: self.classes * self.classes)
    }

    /// A matrix from its rows; nil unless `rows` is square with no negative count.
    public init?(rows: [[Int]]) {
        let n = rows.count
        guard rows.allSatisfy({ $0.count == n && $0.allSatisfy { $0 >= 0 } }) else { return nil }
        classes = n
        counts = rows.flatMap { $0 }
    }

    /// A matrix from a flat row-major array (what an allreduce hands back); nil unless it holds
    /// `classes²` non-negative whole numbers.
    public init?(classes: Int, flat: [Float]) {
        guard classes >= 0, flat.count == classes * classes,
              flat.allSatisfy({ $0 >= 0 && $0.rounded() == $0 && $0 < 16_777_216 }) else { return nil }
        self.classes = classes
        counts = flat.map { Int($0) }
    }

    /// Records one prediction. Labels outside 0..<classes are ignored and reported by returning false.
    @discardableResult
    public mutating func add(truth: Int, predicted: Int) -> Bool {
        guard (0..<classes).contains(truth), (0..<classes).contains(predicted) else { return false }
        counts[truth * classes + predicted] += 1
        return true
    }

    public subscript(truth: Int, predicted: Int) -> Int { counts[truth * classes + predicted] }

    public var rows: [[Int]] { (0..<classes).map { Array(counts[($0 * classes)..<(($0 + 1) * classes)]) } }
    public var total: Int { counts.reduce(0, +) }

    /// The counts as floats for `MPIEnvironment.allreduceSum` (exact below 2²⁴ per cell).
    public var flatFloats: [Float] { counts.map(Float.init) }

    /// Element-wise sum (another rank's or another batch's matrix).
    public static func + (a: ConfusionMatrix, b: ConfusionMatrix) -> ConfusionMatrix {
        precondition(a.classes == b.classes, "adding confusion matrices of \(a.classes) and \(b.classes) classes")
        var sum = a
        for i in sum.counts.indices { sum.counts[i] += b.counts[i] }
        return sum
    }

    /// `name,pred0,pred1,…` header then one row per true class, for spreadsheets.
    public func csv(classNames: [String]) -> String {
        let names = (0..<classes).map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
        func field(_ s: String) -> String {
            s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = ["true\\predicted," + names.map(field).joined(separator: ",")]
        for (r, row) in rows.enumerated() {
            lines.append(field(names[r]) + "," + row.map(String.init).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
