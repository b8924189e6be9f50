// Elementwise arithmetic with NumPy broadcasting. a, b: shapes that broadcast to out.
// Backward reduces the output gradient over each operand's broadcast dimensions.

enum BinaryOperation {
    case add, subtract, multiply, divide

    /// What the tape calls it (profiles, non-finite reports).
    var name: StaticString {
        switch self {
        case .add: "add"
        case .subtract: "subtract"
        case .multiply: "multiply"
        case .divide: "divide"
        }
    }
}

extension Variable {
    func binary(_ op: BinaryOperation, _ other: Variable) -> Variable {
        let a = self, b = other
        guard let outShape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let g = graph
        let out = g.allocate(outShape)
        let mapA = BroadcastMap(operand: a.shape, output: outShape)
        let mapB = BroadcastMap(operand: b.shape, output: outShape)
        let x = a.data, y = b.data, z = out.data
        g.compute.parallelFor(out.count) { r in
            switch op {
            case .add: for i in r { z[i] = x[mapA(i)] + y[mapB(i)] }
            case .subtract: for i in r { z[i] = x[mapA(i)] - y[mapB(i)] }
            case .multiply: for i in r { z[i] = x[mapA(i)] * y[mapB(i)] }
            case .divide: for i in r { z[i] = x[mapA(i)] / y[mapB(i)] }
            }
        }
        // Sums and differences read neither operand in backward: capture handles, so operands
        // nobody else needs (a residual branch's last activation) return to the pool now.
        let (ha, hb) = (a.handle, b.handle)
        let readsOperands = op == .multiply || op == .divide
        let keptA = readsOperands ? a.value : nil, keptB = readsOperands ? b.value : nil
        let keptQuotient = op == .divide ? out : nil
        return g.record(out, inputs: [a, b], op: op.name) { g, dy in
            let gy = dy.data
            // ∂z/∂a and ∂z/∂b for each op, evaluated at output index i.
            func accumulate(into grad: Tensor, map: BroadcastMap, factor: @escaping (Int) -> Float) {
                let gx = grad.data
                if map.isIdentity {
                    g.compute.parallelFor(dy.count) { r in for i in r { gx[i] += gy[i] * factor(i) } }
                } else {
                    // Several outputs land on one operand element: accumulate serially.
                    for i in 0..<dy.count { gx[map(i)] += gy[i] * factor(i) }
                }
            }
            // Read through the kept tensors, which keeps them alive until now.
            let x = keptA?.data, y = keptB?.data
            // A sum's or difference's operand of the output's shape (the residual connections)
            // takes dy as its gradient, or adds it in a loop the compiler vectorises; one
            // operand at most may share dy's storage.
            let sums = op == .add || op == .subtract
            let shared = sums && mapA.isIdentity && g.accumulateGradient(dy, into: ha, sharing: true)
            if sums, mapB.isIdentity { g.accumulateGradient(dy, into: hb, negated: op == .subtract, sharing: !shared) }
            if !(sums && mapA.isIdentity), let da = g.gradient(for: ha) {
                switch op {
                case .add, .subtract: accumulate(into: da, map: mapA) { _ in 1 }
                case .multiply: accumulate(into: da, map: mapA) { i in y![mapB(i)] }
                case .divide: accumulate(into: da, map: mapA) { i in 1 / y![mapB(i)] }
                }
            }
            if !(sums && mapB.isIdentity), let db = g.gradient(for: hb) {
                switch op {
                case .add, .subtract: accumulate(into: db, map: mapB) { _ in op == .add ? 1 : -1 }
                case .multiply: accumulate(into: db, map: mapB) { i in x![mapA(i)] }
                case .divide:
                    let z = keptQuotient!.data
                    accumulate(into: db, map: mapB) { i in -z[i] / y![mapB(i)] }
                }
            }
        }
    }

    /// y = s·x.
    public func scaled(by s: Float) -> Variable {
        pointwise(forward: { $0 * s }, derivative: { _ in s })
    }

    /// y = x + c.
    public func adding(_ c: Float) -> Variable {
        pointwise(forward: { $0 + c }, derivative: { _ in 1 })
    }

    public static func + (a: Variable, b: Variable) -> Variable { a.binary(.add, b) }
    public static func - (a: Variable, b: Variable) -> Variable { a.binary(.subtract, b) }
    public static func * (a: Variable, b: Variable) -> Variable { a.binary(.multiply, b) }
    public static func / (a: Variable, b: Variable) -> Variable { a.binary(.divide, b) }
    public static func * (a: Variable, s: Float) -> Variable { a.scaled(by: s) }
    public static func + (a: Variable, c: Float) -> Variable { a.adding(c) }
    public static prefix func - (a: Variable) -> Variable { a.scaled(by: -1) }
}
