import XCTest
@testable import Autograd
@testable import Distributed

final class GradientExchangeTests: XCTestCase {
    /// Three parameters of 4 values, declared a, b, c; the forward uses a, then b, then c, then a
    /// again: loss = Σ ((x·a)·b + 1)·c·a. Backward finishes c first, then b, then (its first use
    /// being earliest) a.
    struct ThreeParameters {
        let a, b, c: Parameter
        let store: ParameterStore
        init() {
            var layout = ParameterLayout()
            a = layout.parameter("a", [4], .uniform(bound: 1))
            b = layout.parameter("b", [4], .uniform(bound: 1))
            c = layout.parameter("c", [4], .uniform(bound: 1))
            store = ParameterStore(layout: layout, seed: 5)
        }

        /// Forward and backward seeded with `samples`; `marker` runs in backward between c's and
        /// b's gradients becoming final, and again between b's and a's.
        func backward(_ graph: Graph, input: [Float], samples: Int, marker: @escaping (Int) -> Void = { _ in }) {
            let x = graph.input(Tensor(shape: [4], values: input))
            var h = x * graph.param(a)
            h = h.marked(1, marker)
            h = h * graph.param(b) + 1
            h = h.marked(2, marker)
            let loss = (h * graph.param(c) * graph.param(a)).sum()
            graph.backward(loss, seed: Float(samples))
        }
    }

    func testBucketPlan_coversEveryElementOnceInReverseDeclarationOrder() {
        let (_, store) = TwoLayerModel.build()
        for cap in [4, 64, 200, 1 << 20] {
            let plan = GradientBucketPlan(layout: store.layout, capBytes: cap)
            var covered = [Int](repeating: 0, count: store.layout.parameterCount)
            for bucket in plan.buckets { for i in bucket.range { covered[i] += 1 } }
            XCTAssertEqual(covered, [Int](repeating: 1, count: covered.count), "cap \(cap)")
            // Bucket 0 ends at the end of the buffer; each later bucket sits right below the one before.
            XCTAssertEqual(plan.buckets.first?.range.upperBound, store.layout.parameterCount)
            for (earlier, later) in zip(plan.buckets, plan.buckets.dropFirst()) {
                XCTAssertEqual(later.range.upperBound, earlier.range.lowerBound)
            }
            for bucket in plan.buckets where bucket.parameterCount > 1 {
                XCTAssertLessThanOrEqual(bucket.range.count * 4, max(cap, 4), "cap \(cap) exceeded by a shared bucket")
            }
            let last = store.layout.parameters.last!
            XCTAssertEqual(plan.bucket(of: last), 0)
        }
    }

    func testBuckets_launchDuringBackwardInTheOrderBackwardFinishesThem() throws {
        let model = ThreeParameters()
        let recorder = RecordingCommunicator()
        // 16-byte cap: one bucket per parameter; bucket 0 = c, 1 = b, 2 = a.
        let exchange = try BucketedGradientExchange(communicator: recorder, store: model.store, bucketBytes: 16)
        XCTAssertEqual(exchange.plan.buckets.map(\.range), [8..<12, 4..<8, 0..<4])
        let graph = Graph(parameters: model.store)
        graph.gradientObserver = exchange
        var seenAtMarker: [Int: Int] = [:]
        try exchange.beginPass(localSamples: 2)
        model.backward(graph, input: [1, 2, 3, 4], samples: 2) { marker in seenAtMarker[marker] = exchange.launchedBuckets.count }
        let report = try exchange.finish()
        // In backward, marker 2 runs after c's gradient is final, marker 1 after b's.
        XCTAssertEqual(seenAtMarker, [2: 1, 1: 2])
        XCTAssertEqual(report.bucketOrder, [0, 1, 2])
        // The recorder sees the count first, then each bucket exactly once, whole.
        XCTAssertEqual(recorder.allreduces.map(\.count), [1, 4, 4, 4])
        let base = Int(bitPattern: model.store.gradients.data)
        XCTAssertEqual(recorder.allreduces.dropFirst().map { ($0.address - base) / 4 }, [8, 4, 0])
    }

    func testGradientAccumulation_onlyTheLastBackwardExchanges() throws {
        let model = ThreeParameters()
        let recorder = RecordingCommunicator()
        let exchange = try BucketedGradientExchange(communicator: recorder, store: model.store, bucketBytes: 16)
        let graph = Graph(parameters: model.store)
        graph.gradientObserver = exchange
        model.store.zeroGradients()
        model.backward(graph, input: [1, 1, 1, 1], samples: 1)
        graph.reset()
        XCTAssertEqual(recorder.allreduces.count, 0, "a micro-batch before the last must not exchange")
        try exchange.beginPass(localSamples: 2)
        model.backward(graph, input: [2, 2, 2, 2], samples: 1)
        _ = try exchange.finish()
        XCTAssertEqual(recorder.allreduces.count, 4)
    }

    /// Ranks with 3, 0 and 2 samples: every rank ends with Σ_r B_r·g_r / Σ_r B_r, the mean over
    /// the five samples, whatever the bucket size.
    func testSampleWeightedAverage_withAnEmptySliceEqualsTheOneRankMean() throws {
        let inputs: [[[Float]]] = [[[1, 2, 3, 4], [0, 1, 0, 1], [2, 2, 2, 2]], [], [[-1, 0, 1, 2], [3, 1, 4, 1]]]
        // One rank: the sum of per-sample gradients over all five samples, divided by 5.
        let reference = ThreeParameters()
        let g1 = Graph(parameters: reference.store)
        reference.store.zeroGradients()
        for sample in inputs.flatMap({ $0 }) {
            reference.backward(g1, input: sample, samples: 1)
            g1.reset()
        }
        let expected = reference.store.gradients.array.map { $0 / 5 }
        for cap in [16, 32, 1 << 20] {
            let results = try InProcessWorld.run(size: 3) { comm -> [Float] in
                let model = ThreeParameters()
                let exchange = try BucketedGradientExchange(communicator: comm, store: model.store, bucketBytes: cap)
                let graph = Graph(parameters: model.store)
                model.store.zeroGradients()
                let mine = inputs[comm.rank]
                // Micro-batches of one sample each; the last one's backward exchanges.
                for (k, sample) in mine.enumerated() {
                    if k == mine.count - 1 {
                        graph.gradientObserver = exchange
                        try exchange.beginPass(localSamples: mine.count)
                    }
                    model.backward(graph, input: sample, samples: 1)
                    graph.reset()
                }
                if mine.isEmpty { try exchange.beginPass(localSamples: 0) }
                let report = try exchange.finish()
                XCTAssertEqual(report.globalSamples, 5)
                return model.store.gradients.array
            }
            for (rank, g) in results.enumerated() {
                for (x, y) in zip(g, expected) {
                    XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y)), "rank \(rank), cap \(cap)")
                }
            }
        }
    }

    func testEveryRankEmpty_leavesZeroGradientsAndSaysSo() throws {
        let results = try InProcessWorld.run(size: 2) { comm -> (Int, [Float]) in
            let model = ThreeParameters()
            let exchange = try BucketedGradientExchange(communicator: comm, store: model.store, bucketBytes: 16)
            model.store.zeroGradients()
            try exchange.beginPass(localSamples: 0)
            let report = try exchange.finish()
            return (report.globalSamples, model.store.gradients.array)
        }
        for (samples, g) in results {
            XCTAssertEqual(samples, 0)
            XCTAssertEqual(g, [Float](repeating: 0, count: 12))
        }
    }

    func testLocalAveraging_dividesTheSumBySamples() throws {
        let model = ThreeParameters()
        let graph = Graph(parameters: model.store)
        model.store.zeroGradients()
        let sync = LocalGradientAveraging(store: model.store)
        try sync.beginPass(localSamples: 4)
        model.backward(graph, input: [1, 2, 3, 4], samples: 4)
        _ = try sync.finish()
        let once = ThreeParameters()
        let g2 = Graph(parameters: once.store)
        once.store.zeroGradients()
        once.backward(g2, input: [1, 2, 3, 4], samples: 1)
        for (x, y) in zip(model.store.gradients.array, once.store.gradients.array) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }
}

/// A small two-layer model for bucket plans: several parameters of different sizes.
enum TwoLayerModel {
    static func build() -> (ParameterLayout, ParameterStore) {
        var layout = ParameterLayout()
        _ = layout.parameter("l1.weight", [8, 6], .uniform(bound: 1))
        _ = layout.parameter("l1.bias", [8], .zeros)
        _ = layout.parameter("l2.weight", [3, 8], .uniform(bound: 1))
        _ = layout.parameter("l2.bias", [3], .zeros)
        _ = layout.parameter("theta", [], .zeros)
        return (layout, ParameterStore(layout: layout, seed: 1))
    }
}

extension Variable {
    /// The identity, whose backward calls `marker(id)`: shows where backward has got to.
    func marked(_ id: Int, _ marker: @escaping (Int) -> Void) -> Variable {
        let out = graph.allocate(shape)
        out.assign(value)
        let input = handle
        return graph.record(out, inputs: [self]) { g, dy in
            marker(id)
            guard let dx = g.gradient(for: input) else { return }
            for i in 0..<dx.count { dx.data[i] += dy.data[i] }
        }
    }
}

/// A world of one that logs every allreduce: its address and element count.
final class RecordingCommunicator: Communicator, @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(address: Int, count: Int)] = []
    let rank = 0, size = 1, localRank = 0, localSize = 1

    var allreduces: [(address: Int, count: Int)] { lock.withLock { calls } }

    func allreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws {
        lock.withLock { calls.append((Int(bitPattern: buffer.baseAddress), buffer.count)) }
    }
    func startAllreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws -> CommunicationRequest {
        try allreduce(buffer, op)
        return CompletedRequest()
    }
    func broadcast<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {}
    func allgather<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>, counts: [Int]) throws {
        try LocalCommunicator().allgather(send, into: receive, counts: counts)
    }
    func reduceScatter<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>, counts: [Int], _ op: ReduceOperation) throws {
        try LocalCommunicator().reduceScatter(send, into: receive, counts: counts, op)
    }
    func alltoall<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int], into receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int]) throws {
        try LocalCommunicator().alltoall(send, sendCounts: sendCounts, into: receive, receiveCounts: receiveCounts)
    }
    func barrier() throws {}
    func duplicate() throws -> Communicator { self }
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}
