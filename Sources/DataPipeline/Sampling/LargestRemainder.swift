/// Whole shares of `total` in proportion to `weights`: each gets ⌊total·w/Σw⌋, and what is left
/// goes one each to the largest remainders (the earlier index first on ties), so the shares sum
/// to `total` exactly and depend only on (total, weights). Ranks' slices of a global batch and
/// the synthetic set's class counts are cut this way.
enum LargestRemainder {
    static func shares(of total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        let exact = weights.map { Double(total) * $0 / sum }
        var shares = exact.map { Int($0.rounded(.down)) }
        let order = weights.indices.sorted { a, b in
            let ra = exact[a] - Double(shares[a]), rb = exact[b] - Double(shares[b])
            return ra != rb ? ra > rb : a < b
        }
        for i in order.prefix(total - shares.reduce(0, +)) { shares[i] += 1 }
        return shares
    }
}
