/// Where the first NaN or infinity of a pass appeared: attach one to a graph
/// (`graph.nonFiniteWatch = NonFiniteWatch()`) and it looks at every value the tape records and
/// every gradient backward hands an op, keeping the first non-finite leaf (an input or a
/// parameter), the first op whose output is non-finite, and the first op handed a non-finite
/// gradient. Without one the graph pays a nil check per op. `qcs debug replay` reads it.
public final class NonFiniteWatch {
    public struct Finding: Equatable, CustomStringConvertible {
        /// Which tape since `clear` (0: the first; a graph's `reset` starts the next, one per
        /// micro-batch), and the position on it.
        public var tape: Int
        public var node: Int
        /// The op that recorded it (`conv2d(_:_:stride:padding:)`), `input` or `parameter NAME`.
        public var what: String
        public var shape: [Int]
        public var nanCount: Int, infinityCount: Int
        /// The op's inputs as `what [shape]`, in order (empty for leaves).
        public var inputs: [String] = []

        public var description: String {
            let fed = inputs.isEmpty ? "" : "; its inputs: " + inputs.joined(separator: ", ")
            return "\(tape > 0 ? "micro-batch \(tape + 1), " : "")node \(node) \(what) \(shape): \(nanCount) NaN, \(infinityCount) infinite of "
                + "\(shape.reduce(1, *))\(fed)"
        }
    }

    public private(set) var firstLeaf: Finding?
    public private(set) var firstOp: Finding?
    /// The first op (in backward's order, from the loss down) whose incoming gradient is non-finite.
    public private(set) var firstGradient: Finding?
    /// Parameter names by position on the current tape: leaves otherwise keep only their shape.
    private var parameterNames: [Int: String] = [:]
    private var tape = 0

    public init() {}

    /// Forgets the findings (between steps).
    public func clear() {
        firstLeaf = nil
        firstOp = nil
        firstGradient = nil
        parameterNames = [:]
        tape = 0
    }

    func tapeReset() {
        parameterNames.removeAll(keepingCapacity: true)
        tape += 1
    }

    public var foundAny: Bool { firstLeaf != nil || firstOp != nil || firstGradient != nil }

    /// Counts of NaN and infinite elements, nil when every element is finite.
    public static func nonFiniteCounts(_ t: Tensor) -> (nan: Int, infinity: Int)? {
        let p = t.data
        var bad = false
        for i in 0..<t.count where !p[i].isFinite {
            bad = true
            break
        }
        guard bad else { return nil }
        var nan = 0, infinity = 0
        for i in 0..<t.count {
            if p[i].isNaN { nan += 1 } else if p[i].isInfinite { infinity += 1 }
        }
        return (nan, infinity)
    }

    func leafRecorded(_ value: Tensor, node: Int, parameter: String?) {
        if let parameter { parameterNames[node] = parameter }
        guard firstLeaf == nil, let counts = Self.nonFiniteCounts(value) else { return }
        firstLeaf = Finding(tape: tape, node: node, what: parameter.map { "parameter " + $0 } ?? "input", shape: value.shape,
                            nanCount: counts.nan, infinityCount: counts.infinity)
    }

    func opRecorded(_ value: Tensor, node: Int, op: StaticString, inputs: [Variable], graph: Graph) {
        guard firstOp == nil, let counts = Self.nonFiniteCounts(value) else { return }
        firstOp = Finding(tape: tape, node: node, what: op.description, shape: value.shape, nanCount: counts.nan,
                          infinityCount: counts.infinity, inputs: inputs.map { "\(name(of: $0.id, graph)) \($0.shape)" })
    }

    func gradientArrives(_ gradient: Tensor, node: Int, graph: Graph) {
        guard firstGradient == nil, let counts = Self.nonFiniteCounts(gradient) else { return }
        firstGradient = Finding(tape: tape, node: node, what: name(of: node, graph), shape: gradient.shape, nanCount: counts.nan,
                                infinityCount: counts.infinity)
    }

    private func name(of node: Int, _ graph: Graph) -> String {
        if let parameter = parameterNames[node] { return "parameter " + parameter }
        let op = graph.op(at: node)
        return op == "leaf" ? "input" : op
    }
}
