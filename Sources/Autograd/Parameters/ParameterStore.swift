/// One named tensor of a model: where it sits in its flat buffer. Parameters are trainable
/// (they have a gradient); buffers are state without one (batch-norm running statistics).
public struct Parameter: Sendable, Equatable {
    public enum Kind: Sendable { case trainable, buffer }
    /// The official state-dict name, e.g. `ir_back.body.0.res_layer.1.weight`.
    public let name: String
    public let shape: [Int]
    public let kind: Kind
    /// Element offset into the flat buffer of its kind.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// The declaration phase of a model: modules append their parameters here, in a fixed order,
/// with their official names and initialisers. Offsets are known at once; memory is allocated
/// when a `ParameterStore` is built from the finished layout.
public struct ParameterLayout: Sendable {
    public private(set) var parameters: [Parameter] = []
    public private(set) var buffers: [Parameter] = []
    var initializers: [Initializer] = []
    var bufferInitializers: [Initializer] = []
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0

    public init() {}

    public mutating func parameter(_ name: String, _ shape: [Int], _ initializer: Initializer) -> Parameter {
        declare(name, shape, initializer, kind: .trainable)
    }

    public mutating func buffer(_ name: String, _ shape: [Int], _ initializer: Initializer) -> Parameter {
        declare(name, shape, initializer, kind: .buffer)
    }

    /// Appends a tensor to its kind's flat vector, after the ones declared before it.
    private mutating func declare(_ name: String, _ shape: [Int], _ initializer: Initializer,
                                  kind: Parameter.Kind) -> Parameter {
        let trainable = kind == .trainable
        precondition(!(trainable ? parameters : buffers).contains { $0.name == name },
                     "\(trainable ? "parameter" : "buffer") \(name) declared twice")
        let p = Parameter(name: name, shape: shape, kind: kind, offset: trainable ? parameterCount : bufferCount)
        if trainable {
            parameters.append(p)
            initializers.append(initializer)
            parameterCount += p.count
        } else {
            buffers.append(p)
            bufferInitializers.append(initializer)
            bufferCount += p.count
        }
        return p
    }
}

/// The memory of a model: every parameter in one flat buffer, every gradient in another of the
/// same layout, buffers (running statistics) in a third. Bucketing, sharding, optimizers and
/// checkpoints all work on these flat arrays through the layout's table.
public final class ParameterStore {
    public let layout: ParameterLayout
    public let values: Tensor
    public let gradients: Tensor
    public let bufferValues: Tensor
    /// False for inference: graphs then record no gradient for parameters.
    public var requiresGrad = true

    /// Allocates the flat buffers and initialises every tensor in declaration order from `seed`.
    public init(layout: ParameterLayout, seed: UInt64 = 0) {
        self.layout = layout
        values = Tensor(zeros: [layout.parameterCount])
        gradients = Tensor(zeros: [layout.parameterCount])
        bufferValues = Tensor(zeros: [layout.bufferCount])
        var rng = SeededRNG(seed: seed, stream: 0x1A17)
        for (p, initializer) in zip(layout.parameters, layout.initializers) {
            initializer.fill(value(p), rng: &rng)
        }
        for (b, initializer) in zip(layout.buffers, layout.bufferInitializers) {
            initializer.fill(value(b), rng: &rng)
        }
    }

    /// The live values of `p` (a view: writes change the model).
    public func value(_ p: Parameter) -> Tensor {
        Tensor(shape: p.shape, storage: p.kind == .trainable ? values.storage : bufferValues.storage,
               offset: p.offset)
    }

    /// The gradient slice of trainable parameter `p`.
    public func gradient(_ p: Parameter) -> Tensor {
        precondition(p.kind == .trainable, "\(p.name) is a buffer and has no gradient")
        return Tensor(shape: p.shape, storage: gradients.storage, offset: p.offset)
    }

    /// With `compute`, on its threads.
    public func zeroGradients(compute: ComputePool? = nil) {
        guard let compute else { return gradients.data.update(repeating: 0, count: gradients.count) }
        compute.zero(gradients.data, count: gradients.count)
    }

    /// The parameters and buffers holding a NaN or an infinity, in declaration order (`only`
    /// selects by name): weights like these are never trained from, exported or evaluated.
    public func nonFiniteTensors(only: (String) -> Bool = { _ in true }) -> [String] {
        (layout.parameters + layout.buffers).filter { p in
            guard only(p.name) else { return false }
            let t = value(p)
            return !UnsafeBufferPointer(start: t.data, count: t.count).allSatisfy(\.isFinite)
        }.map(\.name)
    }

    /// Whether every parameter and buffer is finite (one pass, no names).
    public var isFinite: Bool {
        UnsafeBufferPointer(start: values.data, count: values.count).allSatisfy(\.isFinite)
            && UnsafeBufferPointer(start: bufferValues.data, count: bufferValues.count).allSatisfy(\.isFinite)
    }

    /// Looks a parameter or buffer up by its official name.
    public func named(_ name: String) -> Parameter? {
        layout.parameters.first { $0.name == name } ?? layout.buffers.first { $0.name == name }
    }
}
