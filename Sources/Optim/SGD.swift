import Autograd

/// Stochastic gradient descent with momentum, PyTorch's form:
///   g ← g + λ·w;  b ← μ·b + (1−τ)·g (b = g on the first step);  d = g + μ·b (Nesterov) or b;  w ← w − lr·d
public final class SGD: Optimizer {
    public struct Configuration: Sendable, Equatable {
        public var momentum: Float = 0.9
        public var dampening: Float = 0
        public var weightDecay: Float = 0
        public var nesterov = false
        public init(momentum: Float = 0.9, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
            self.momentum = momentum; self.dampening = dampening
            self.weightDecay = weightDecay; self.nesterov = nesterov
        }
    }

    public let configuration: Configuration
    public let count: Int
    public var stepCount = 0
    private let momentumStorage: Storage
    var buffer: UnsafeMutablePointer<Float> { momentumStorage.pointer }

    public init(count: Int, configuration: Configuration = Configuration()) {
        self.count = count
        self.configuration = configuration
        momentumStorage = Storage(zeros: count)
    }

    public var state: [(name: String, values: UnsafeMutablePointer<Float>)] { [("momentum_buffer", buffer)] }

    public func step(_ slice: FlatSlice, learningRate lr: Float, compute: ComputePool?) {
        precondition(slice.count == count, "SGD state covers \(count) elements, slice has \(slice.count)")
        let c = configuration
        let first = stepCount == 0
        stepCount += 1
        let w = slice.values, g = slice.gradients, b = buffer
        FlatPass.run(count, compute: compute) { r in
            for i in r {
                var d = g[i] + c.weightDecay * w[i]
                if c.momentum != 0 {
                    b[i] = first ? d : c.momentum * b[i] + (1 - c.dampening) * d
                    d = c.nesterov ? d + c.momentum * b[i] : b[i]
                }
                w[i] -= lr * d
            }
        }
    }
}
