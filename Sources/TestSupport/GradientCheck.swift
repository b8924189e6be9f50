import Autograd

/// What a gradient check found: the worst disagreement between the analytic gradient and the
/// central finite difference, over all checked elements.
public struct GradientCheckReport: CustomStringConvertible {
    public var checked = 0
    public var failures = 0
    public var maxAbsoluteError = 0.0
    public var worst = "none"
    public var passed: Bool { failures == 0 && checked > 0 }
    public var description: String {
        "\(checked) elements checked, \(failures) outside tolerance, max |analytic-numeric| \(maxAbsoluteError) at \(worst)"
    }
}

/// Finite-difference verification of backward passes. The scalar being differentiated is
/// L = Σ wᵢ·outᵢ with fixed random weights w (so every output element matters), accumulated in
/// double precision; each checked input element is perturbed by ±ε and
/// (L(x+ε) − L(x−ε)) / 2ε compared with the analytic gradient.
public enum GradientCheck {
    /// - Parameters:
    ///   - inputs: tensors handed to `f` as leaves requiring gradients (copied, never mutated).
    ///   - parameters: a store whose trainable parameters are checked too (perturbed in place
    ///     and restored).
    ///   - samplesPerTensor: at most this many elements of each tensor are checked (spread
    ///     evenly, first and last included).
    ///   - f: builds the output on the given graph from the input leaves; must be deterministic.
    public static func run(inputs: [Tensor], parameters: ParameterStore? = nil, training: Bool = true,
                           epsilon: Float = 1e-2, rtol: Double = 2e-2, atol: Double = 2e-3,
                           samplesPerTensor: Int = 48, seed: UInt64 = 7,
                           _ f: (Graph, [Variable]) -> Variable) -> GradientCheckReport {
        let compute = ComputePool(threads: 1)
        let work = inputs.map { $0.copy() }
        var weights: Tensor?

        func loss() -> Double {
            let g = Graph(parameters: parameters, compute: compute, training: training)
            let out = f(g, work.map { g.input($0) })
            if weights == nil { weights = randomWeights(out.shape, seed: seed) }
            var sum = 0.0
            for i in 0..<out.count { sum += Double(out.data[i]) * Double(weights!.data[i]) }
            return sum
        }

        // Analytic gradients.
        _ = loss()
        parameters?.zeroGradients()
        let g = Graph(parameters: parameters, compute: compute, training: training)
        let leaves = work.map { g.input($0, requiresGrad: true) }
        let out = f(g, leaves)
        g.backward(out, seedGradient: weights!)
        let analytic = leaves.map { g.grad(of: $0) ?? Tensor(zeros: $0.shape) }

        var report = GradientCheckReport()
        func compare(_ tensor: Tensor, _ grad: Tensor, label: String) {
            for i in sampleIndices(tensor.count, samplesPerTensor) {
                let saved = tensor.data[i]
                tensor.data[i] = saved + epsilon
                let plus = loss()
                tensor.data[i] = saved - epsilon
                let minus = loss()
                tensor.data[i] = saved
                let numeric = (plus - minus) / (2 * Double(epsilon))
                let a = Double(grad.data[i])
                let err = abs(a - numeric)
                report.checked += 1
                if err > atol + rtol * max(abs(a), abs(numeric)) { report.failures += 1 }
                if err > report.maxAbsoluteError {
                    report.maxAbsoluteError = err
                    report.worst = "\(label)[\(i)] analytic \(a) numeric \(numeric)"
                }
            }
        }
        for (k, t) in work.enumerated() { compare(t, analytic[k], label: "input \(k)") }
        if let store = parameters {
            let grads = store.gradients.copy()
            for p in store.layout.parameters {
                compare(store.value(p), Tensor(shape: p.shape, storage: grads.storage, offset: p.offset), label: p.name)
            }
        }
        return report
    }

    static func randomWeights(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed, stream: 99)
        return Tensor(shape: shape) { rng.uniform(-1, 1) }
    }

    static func sampleIndices(_ count: Int, _ limit: Int) -> [Int] {
        if count <= limit { return Array(0..<count) }
        return (0..<limit).map { $0 * (count - 1) / (limit - 1) }
    }
}
