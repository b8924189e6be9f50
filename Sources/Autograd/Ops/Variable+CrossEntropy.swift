import Foundation

// Cross-entropy with PyTorch's semantics. logits: [N, C], labels: N class indices, out: [].
// With class weights w and label smoothing ε (both optional):
//   loss_n = (1-ε)·w[y_n]·(-log p[n, y_n]) + (ε/C)·Σ_c w[c]·(-log p[n, c])
//   loss   = Σ_n loss_n / Σ_n w[y_n]         (mean reduction; w = 1 gives the plain mean)

extension Variable {
    public func crossEntropy(labels: [Int], labelSmoothing: Float = 0, classWeights: [Float]? = nil) -> Variable {
        precondition(shape.count == 2, "crossEntropy expects logits [N, C], got \(shape)")
        let n = shape[0], c = shape[1]
        precondition(labels.count == n, "\(labels.count) labels for \(n) rows")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < c }, "label out of range 0..<\(c): \(labels)")
        precondition(classWeights == nil || classWeights!.count == c, "class weights must have \(c) entries")
        let weights = classWeights ?? [Float](repeating: 1, count: c)
        let eps = labelSmoothing
        let logP = logSoftmax(axis: 1)
        let g = graph
        let lp = logP.data
        var total = 0.0, norm = 0.0
        for i in 0..<n {
            let y = labels[i]
            var smooth = 0.0
            if eps != 0 { for k in 0..<c { smooth -= Double(weights[k]) * Double(lp[i * c + k]) } }
            total += Double(1 - eps) * Double(weights[y]) * -Double(lp[i * c + y]) + Double(eps) / Double(c) * smooth
            norm += Double(weights[y])
        }
        let out = g.allocate([])
        out.data[0] = Float(total / norm)
        return g.record(out, inputs: [logP]) { g, dy in
            guard let dlp = g.gradient(for: logP) else { return }
            let scale = dy.data[0] / Float(norm)
            let gp = dlp.data
            for i in 0..<n {
                if eps != 0 { for k in 0..<c { gp[i * c + k] -= scale * eps / Float(c) * weights[k] } }
                gp[i * c + labels[i]] -= scale * (1 - eps) * weights[labels[i]]
            }
        }
    }
}
