/// One collective as a rank called it: what `CheckedCommunicator` compares across ranks before
/// letting the call through.
public struct CollectiveCall: Equatable, Sendable, CustomStringConvertible {
    public enum Operation: Int64, Sendable {
        case allreduce = 1, startAllreduce, broadcast, allgather, reduceScatter, alltoall, barrier, duplicate
    }

    /// Place in this communicator's sequence of collectives, from 1.
    public var sequence: Int64
    public var operation: Operation
    /// Element type (nil for barrier and duplicate), elements this rank sends or reduces, and the
    /// root or reduction when the call has one (broadcast's root; 0 sum, 1 max, 2 min).
    public var element: ElementKind?
    public var count: Int64
    public var detail: Int64

    public init(sequence: Int64, operation: Operation, element: ElementKind? = nil, count: Int = 0, detail: Int64 = 0) {
        self.sequence = sequence
        self.operation = operation
        self.element = element
        self.count = Int64(count)
        self.detail = detail
    }

    static func code(_ op: ReduceOperation) -> Int64 {
        switch op {
        case .sum: 0
        case .max: 1
        case .min: 2
        }
    }

    /// Fixed-size encoding, the same length on every rank, so ranks that disagree can still exchange it.
    static let width = 5

    var encoded: [Int64] { [sequence, operation.rawValue, Self.elementCode(element), count, detail] }

    init?(encoded v: [Int64]) {
        guard v.count == Self.width, let operation = Operation(rawValue: v[1]) else { return nil }
        self.init(sequence: v[0], operation: operation, element: Self.element(code: v[2]), count: Int(v[3]), detail: v[4])
    }

    private static let kinds: [ElementKind] = [.float32, .float64, .int32, .int64, .uint8, .uint16]

    private static func elementCode(_ kind: ElementKind?) -> Int64 {
        guard let kind, let index = kinds.firstIndex(of: kind) else { return 0 }
        return Int64(index + 1)
    }

    private static func element(code: Int64) -> ElementKind? {
        code >= 1 && code <= Int64(kinds.count) ? kinds[Int(code) - 1] : nil
    }

    public var description: String {
        let name: String
        switch operation {
        case .allreduce, .startAllreduce:
            name = "\(operation)(\(["sum", "max", "min"][Int(max(0, min(2, detail)))]))"
        case .broadcast: name = "broadcast(root \(detail))"
        default: name = "\(operation)"
        }
        let payload = element.map { " of \(count) \($0)" } ?? ""
        return "#\(sequence) \(name)\(payload)"
    }
}
