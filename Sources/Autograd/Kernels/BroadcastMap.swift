/// How an operand of a broadcasting op is indexed from the output's linear index.
/// The common patterns get closed forms; anything else falls back to a precomputed table.
enum BroadcastMap {
    /// Same shape as the output.
    case identity
    /// One element for every output element.
    case scalar
    /// The operand is the output's trailing block repeated: index = i mod period
    /// (a position embedding [T, D] added to [B, T, D]).
    case tile(period: Int)
    /// Each operand element covers `inner` consecutive outputs: index = i / inner
    /// (a per-row weight [B, T, 1] times [B, T, D]).
    case expand(inner: Int)
    /// Anything else: the operand's offset for every output index.
    case table([Int])

    init(operand: [Int], output: [Int]) {
        let count = operand.reduce(1, *)
        let padded = [Int](repeating: 1, count: output.count - operand.count) + operand
        if padded == output { self = .identity; return }
        if count == 1 { self = .scalar; return }
        // Tile: leading dims all 1, the rest equal to the output's.
        if let first = padded.firstIndex(where: { $0 != 1 }),
           Array(padded[first...]) == Array(output[first...]) {
            self = .tile(period: count)
            return
        }
        // Expand: trailing dims all 1, the leading ones equal to the output's.
        if let last = padded.lastIndex(where: { $0 != 1 }),
           Array(padded[...last]) == Array(output[...last]) {
            self = .expand(inner: output[(last + 1)...].reduce(1, *))
            return
        }
        let outStrides = Shape.strides(output)
        let inStrides = Shape.strides(padded)
        let total = output.reduce(1, *)
        var table = [Int](repeating: 0, count: total)
        for i in 0..<total {
            var rest = i, offset = 0
            for d in 0..<output.count {
                let coordinate = rest / outStrides[d]
                rest -= coordinate * outStrides[d]
                if padded[d] != 1 { offset += coordinate * inStrides[d] }
            }
            table[i] = offset
        }
        self = .table(table)
    }

    var isIdentity: Bool { if case .identity = self { return true } else { return false } }

    @inline(__always)
    func callAsFunction(_ i: Int) -> Int {
        switch self {
        case .identity: return i
        case .scalar: return 0
        case .tile(let period): return i % period
        case .expand(let inner): return i / inner
        case .table(let table): return table[i]
        }
    }
}
