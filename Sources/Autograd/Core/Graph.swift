/// The tape of one forward pass. Ops append nodes as they run; `backward` walks them in
/// reverse, each node adding its contribution into the gradients of its inputs. `reset` drops
/// every activation at once so the next step reuses the same pooled memory.
///
/// Gradient convention (as in llm.c): backward *adds* into gradient buffers. Parameter
/// gradients land directly in the parameter store's flat gradient buffer, which is zeroed
/// explicitly (`ParameterStore.zeroGradients`), never implicitly.
public final class Graph {
    public let pool: BufferPool
    public let compute: ComputePool
    public let parameters: ParameterStore?
    /// Training mode: batch-norm uses batch statistics and updates running ones, dropout drops.
    public var isTraining: Bool
    /// The other replicas of the batch (exact global-batch mode): when set, batch-norm statistics
    /// in training and batch-wide minima/maxima are reduced over them (`BatchReduction`).
    public var batchReduction: BatchReduction?
    /// How convolutions, linear layers and attention multiply (`MatrixPrecision`).
    public var matrixPrecision: MatrixPrecision
    /// In bfloat16, whether the inputs that only a bfloat16 GEMM's backward (conv, linear) or a
    /// PReLU's reads are kept as bfloat16 (`BFloat16Tensor`). On by default; off keeps them
    /// float32, which tests use to show the products' gradients do not change.
    public var storesBFloat16Activations = true
    /// Whether this pass keeps those activations as bfloat16.
    var savesBFloat16: Bool {
        guard storesBFloat16Activations, case .bfloat16 = matrixPrecision else { return false }
        return true
    }
    /// Times every op when set (see `OpProfiler`).
    public var profiler: OpProfiler? {
        didSet { profiler?.mark() }
    }
    /// Looks for the first NaN or infinity of each pass when set (see `NonFiniteWatch`).
    public var nonFiniteWatch: NonFiniteWatch?

    /// A node keeps only its value's shape: the value itself lives as long as a `Variable` or a
    /// backward closure that needs it holds it, so an activation no backward reads (a residual
    /// sum's operands, a projection feeding an addition) returns to the pool as soon as the
    /// forward pass moves on, as in PyTorch. Backward closures must therefore capture every
    /// tensor they read (the tensor, not a pointer into it), their own output included.
    struct Node {
        var shape: [Int]
        var requiresGrad: Bool
        /// Where this node's gradient accumulates when it is fixed in advance (a parameter's
        /// slice of the flat gradient buffer); otherwise allocated on first use.
        var gradient: Tensor?
        var backward: ((Graph, Tensor) -> Void)?
        var op: StaticString = "leaf"
    }

    private(set) var nodes: [Node] = []

    /// Told during `backward` when a parameter's gradient is final (see `GradientReadinessObserver`).
    /// Set it before the backward whose gradients are exchanged; it stays until changed.
    public var gradientObserver: GradientReadinessObserver?
    /// Trainable parameters used by this forward, in order of first use, with that first node.
    private var firstUses: [(node: Int, parameter: Parameter)] = []
    private var usedOffsets: Set<Int> = []

    public init(parameters: ParameterStore? = nil, compute: ComputePool? = nil,
                pool: BufferPool = BufferPool(), training: Bool = true, matrixPrecision: MatrixPrecision = .float32) {
        self.parameters = parameters
        self.matrixPrecision = matrixPrecision
        self.compute = compute ?? ComputePool()
        self.pool = pool
        self.isTraining = training
    }

    // MARK: - Memory

    /// An uninitialised tensor from the pool.
    public func allocate(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: shape.reduce(1, *), pool: pool))
    }

    /// A zero-filled tensor from the pool.
    public func zeros(_ shape: [Int]) -> Tensor {
        let t = allocate(shape)
        t.data.initialize(repeating: 0, count: t.count)
        return t
    }

    /// Runs `body` with a pooled scratch buffer of `count` floats that stays alive for exactly the
    /// duration of the call and then returns to the pool. Use it for workspaces: a pointer taken
    /// from a local tensor's `data` does not keep that tensor alive (Swift may release it right
    /// after its last use), so kernels must never outlive the tensor they write through.
    public func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let scratch = allocate([count])
        return try withExtendedLifetime(scratch) { try body(scratch.data) }
    }

    /// Drops every node (activations and gradients return to the pool).
    public func reset() {
        nodes.removeAll(keepingCapacity: true)
        firstUses.removeAll(keepingCapacity: true)
        usedOffsets.removeAll(keepingCapacity: true)
        profiler?.mark()
        nonFiniteWatch?.tapeReset()
    }

    public var nodeCount: Int { nodes.count }

    /// The op that recorded tape position `node` (`leaf` for inputs and parameters).
    func op(at node: Int) -> String { nodes[node].op.description }

    // MARK: - Leaves

    /// A leaf holding data. With `requiresGrad` its gradient is kept and readable after backward.
    public func input(_ value: Tensor, requiresGrad: Bool = false) -> Variable {
        nodes.append(Node(shape: value.shape, requiresGrad: requiresGrad, gradient: nil, backward: nil))
        nonFiniteWatch?.leafRecorded(value, node: nodes.count - 1, parameter: nil)
        return Variable(graph: self, id: nodes.count - 1, value: value)
    }

    /// A leaf viewing parameter `p` of the bound store; its gradient accumulates into the
    /// store's flat gradient buffer. Using one parameter several times (the four branches)
    /// accumulates all uses.
    public func param(_ p: Parameter) -> Variable {
        guard let store = parameters else {
            preconditionFailure("Graph.param(\(p.name)) on a graph without a ParameterStore")
        }
        let grad: Tensor? = store.requiresGrad ? store.gradient(p) : nil
        let value = store.value(p)
        nodes.append(Node(shape: value.shape, requiresGrad: grad != nil, gradient: grad, backward: nil))
        if grad != nil, usedOffsets.insert(p.offset).inserted { firstUses.append((nodes.count - 1, p)) }
        nonFiniteWatch?.leafRecorded(value, node: nodes.count - 1, parameter: p.name)
        return Variable(graph: self, id: nodes.count - 1, value: value)
    }

    // MARK: - Recording

    /// Appends the result of an op. `backward` receives the graph and the gradient of this
    /// output, and adds into the gradients of whichever inputs need one (`gradient(for:)`).
    /// It is dropped when no input requires a gradient.
    public func record(_ value: Tensor, inputs: [Variable], op: StaticString = #function,
                       backward: @escaping (Graph, Tensor) -> Void) -> Variable {
        let needs = inputs.contains { nodes[$0.id].requiresGrad }
        nodes.append(Node(shape: value.shape, requiresGrad: needs, gradient: nil, backward: needs ? backward : nil, op: op))
        profiler?.forwardEnded(op)
        nonFiniteWatch?.opRecorded(value, node: nodes.count - 1, op: op, inputs: inputs, graph: self)
        return Variable(graph: self, id: nodes.count - 1, value: value)
    }

    /// Whether gradients flow into `v` (inputs with `requiresGrad: false` are skipped).
    public func requiresGrad(_ v: Variable) -> Bool { nodes[v.id].requiresGrad }

    /// The gradient accumulator of `v`, zero-filled on first use; nil if `v` needs none.
    /// Backward closures add into it.
    public func gradient(for v: Variable) -> Tensor? { gradient(for: v.handle) }

    /// The same by tape position: a backward closure that needs an input's gradient but not its
    /// data captures the handle, so the data can return to the pool.
    public func gradient(for node: NodeHandle) -> Tensor? {
        guard nodes[node.id].requiresGrad else { return nil }
        if let g = nodes[node.id].gradient { return g }
        let g = allocate(nodes[node.id].shape)
        compute.zero(g.data, count: g.count)
        nodes[node.id].gradient = g
        return g
    }

    /// Where a backward that writes every element of an input's gradient puts it: the existing
    /// accumulator (`overwrite` false: add into it), or, when nothing has reached the input yet,
    /// a fresh uninitialised one (`overwrite` true: store, do not add), which saves the zero fill
    /// and a read of the buffer. nil if the input needs no gradient. A backward that may leave
    /// elements unwritten must use `gradient(for:)` instead.
    public func gradientDestination(for node: NodeHandle) -> (tensor: Tensor, overwrite: Bool)? {
        guard nodes[node.id].requiresGrad else { return nil }
        if let g = nodes[node.id].gradient { return (g, false) }
        let g = allocate(nodes[node.id].shape)
        nodes[node.id].gradient = g
        return (g, true)
    }

    /// Adds `dy` (as many values as the node has; an op whose input and output hold the same
    /// values in the same order) into the gradient of `node`, or, negated, subtracts it.
    ///
    /// The first gradient to reach a node needs no zero fill: with `sharing`, `dy` itself
    /// becomes the node's gradient (no pass over memory at all), otherwise a copy. Share only
    /// when the calling backward writes no other gradient while it still reads `dy`, and hand
    /// one `dy` to at most one node: later additions into that node write into `dy`'s storage.
    /// Returns whether the node now shares `dy`.
    @discardableResult
    public func accumulateGradient(_ dy: Tensor, into node: NodeHandle, negated: Bool = false, sharing: Bool = false) -> Bool {
        guard nodes[node.id].requiresGrad else { return false }
        let shape = nodes[node.id].shape
        precondition(dy.count == shape.reduce(1, *), "gradient of \(dy.count) values for a node of shape \(shape)")
        let gy = dy.data
        if let existing = nodes[node.id].gradient {
            let gx = existing.data
            compute.parallelFor(dy.count, grain: 16_384) { r in
                if negated { for i in r { gx[i] -= gy[i] } } else { for i in r { gx[i] += gy[i] } }
            }
            return false
        }
        if sharing, !negated {
            nodes[node.id].gradient = dy.shape == shape ? dy : dy.reshaped(shape)
            return true
        }
        let copy = allocate(shape)
        let gx = copy.data
        compute.parallelFor(dy.count, grain: 16_384) { r in
            if negated { for i in r { gx[i] = -gy[i] } } else { (gx + r.lowerBound).update(from: gy + r.lowerBound, count: r.count) }
        }
        nodes[node.id].gradient = copy
        return false
    }

    /// The gradient of `v` after `backward`, if any reached it.
    public func grad(of v: Variable) -> Tensor? { nodes[v.id].gradient }

    // MARK: - Backward

    /// Back-propagates from `output` with seed gradient `seed` (a scalar output gets `seed`
    /// everywhere; pass `seedGradient` for a non-scalar start).
    public func backward(_ output: Variable, seed: Float = 1, seedGradient: Tensor? = nil) {
        guard nodes[output.id].requiresGrad else { return }
        let g = gradient(for: output)!
        if let s = seedGradient {
            precondition(s.shape == g.shape, "seed gradient \(s.shape) for output \(g.shape)")
            for i in 0..<g.count { g.data[i] += s.data[i] }
        } else {
            for i in 0..<g.count { g.data[i] += seed }
        }
        // A parameter's gradient is final once every node after its first use has run backward:
        // only those nodes read it. Unused parameters are final before anything runs.
        var pendingUses = firstUses.count
        if let observer = gradientObserver, let store = parameters {
            for p in store.layout.parameters where !usedOffsets.contains(p.offset) { observer.gradientIsFinal(p) }
        }
        var i = output.id
        while i >= 0 {
            if let observer = gradientObserver {
                while pendingUses > 0, firstUses[pendingUses - 1].node >= i {
                    pendingUses -= 1
                    observer.gradientIsFinal(firstUses[pendingUses].parameter)
                }
            }
            if let back = nodes[i].backward, let g = nodes[i].gradient {
                nonFiniteWatch?.gradientArrives(g, node: i, graph: self)
                if let profiler {
                    let start = OpProfiler.now()
                    back(self, g)
                    profiler.addBackward(nodes[i].op, seconds: Double(OpProfiler.now() &- start) / 1e9)
                } else {
                    back(self, g)
                }
                // Intermediate gradients are dead once propagated; parameter slices are not ours.
                nodes[i].gradient = nil
                nodes[i].backward = nil
            }
            i -= 1
        }
        if let observer = gradientObserver {
            while pendingUses > 0 {
                pendingUses -= 1
                observer.gradientIsFinal(firstUses[pendingUses].parameter)
            }
        }
    }
}

/// Learns, during backward, the moment each parameter's gradient has received its last
/// contribution, so that exchanging it can start while backward goes on. A parameter used by
/// several branches is final after its earliest use on the tape has been passed. Every trainable
/// parameter of the graph's store is reported exactly once per `backward` (unused ones first).
public protocol GradientReadinessObserver: AnyObject {
    func gradientIsFinal(_ parameter: Parameter)
}

/// A variable's place on the tape, without its value (see `Graph.gradient(for:)`).
public struct NodeHandle {
    public let id: Int
}

/// A node of a graph: its forward value and its place on the tape. Ops are methods on
/// `Variable` (`x.matmul(w)`, `x.relu()`), defined one file per op family.
public struct Variable {
    public unowned let graph: Graph
    public let id: Int
    public let value: Tensor

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }
    public var data: UnsafeMutablePointer<Float> { value.data }
    public var handle: NodeHandle { NodeHandle(id: id) }
}
