import XCTest
@testable import Autograd
@testable import Distributed

/// Batch-wide ops over in-process replicas: a batch of 5 split 2 + 3 + 0 (the last replica runs
/// a stand-in) must give what one graph holding all 5 gives — outputs, input gradients, parameter
/// gradients (summed over replicas, as the gradient exchange does), running statistics.
final class ExactModeTests: XCTestCase {
    static let channels = 3
    static let whole: Tensor = {
        var rng = SeededRNG(seed: 11)
        return Tensor(shape: [5, channels, 4, 4]) { rng.uniform(-2, 3) }
    }()
    static let upstream: Tensor = {
        var rng = SeededRNG(seed: 12)
        return Tensor(shape: [5, channels, 4, 4]) { rng.uniform(-1, 1) }
    }()
    static let slices = [0..<2, 2..<5, 5..<5]

    static func rows(_ t: Tensor, _ r: Range<Int>) -> Tensor {
        let per = t.count / t.shape[0]
        let n = max(r.count, 1)  // an empty slice computes one stand-in row
        var shape = t.shape
        shape[0] = n
        return r.isEmpty ? Tensor(zeros: shape)
            : Tensor(shape: shape, values: Array(t.array[(r.lowerBound * per)..<(r.upperBound * per)]))
    }

    struct Result {
        var output: [Float], inputGradient: [Float], weightGradient: [Float], biasGradient: [Float]
        var runningMean: [Float], runningVar: [Float]
    }

    /// BatchNorm forward (training) and backward on `x` with upstream gradient `dy`.
    static func batchNorm(_ x: Tensor, _ dy: Tensor, reduction: BatchReduction?) -> Result {
        var layout = ParameterLayout()
        let w = layout.parameter("w", [channels], .uniform(bound: 1))
        let b = layout.parameter("b", [channels], .uniform(bound: 1))
        let store = ParameterStore(layout: layout, seed: 3)
        let g = Graph(parameters: store, training: true)
        g.batchReduction = reduction
        let rm = Tensor(zeros: [channels]), rv = Tensor(shape: [channels], values: [1, 1, 1])
        let input = g.input(x, requiresGrad: true)
        let y = input.batchNorm2d(weight: g.param(w), bias: g.param(b), runningMean: rm, runningVar: rv)
        g.backward(y, seedGradient: dy)
        return Result(output: y.value.array, inputGradient: g.grad(of: input)!.array,
                      weightGradient: store.gradient(w).array, biasGradient: store.gradient(b).array,
                      runningMean: rm.array, runningVar: rv.array)
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (x, y) in zip(a, b) where !(abs(x - y) <= 1e-5 + 1e-4 * abs(y)) {
            return XCTFail("\(what): \(x) vs \(y)", file: file, line: line)
        }
    }

    func testSynchronisedBatchNorm_equalsOneReplicaHoldingTheWholeBatch() throws {
        let reference = Self.batchNorm(Self.whole, Self.upstream, reduction: nil)
        let per = Self.whole.count / 5
        let parts = try InProcessWorld.run(size: 3) { comm -> Result in
            let reduction = CommunicatorBatchReduction(communicator: comm)
            let r = Self.slices[comm.rank]
            reduction.contributes = !r.isEmpty
            return Self.batchNorm(Self.rows(Self.whole, r), Self.rows(Self.upstream, r), reduction: reduction)
        }
        for (rank, part) in parts.enumerated() {
            let r = Self.slices[rank]
            if r.isEmpty {
                XCTAssertTrue(part.inputGradient.allSatisfy { $0 == 0 }, "a stand-in passes no gradient back")
                XCTAssertTrue(part.weightGradient.allSatisfy { $0 == 0 } && part.biasGradient.allSatisfy { $0 == 0 })
            } else {
                let span = (r.lowerBound * per)..<(r.upperBound * per)
                assertClose(part.output, Array(reference.output[span]), "rank \(rank) output")
                assertClose(part.inputGradient, Array(reference.inputGradient[span]), "rank \(rank) input gradient")
            }
            assertClose(part.runningMean, reference.runningMean, "rank \(rank) running mean")
            assertClose(part.runningVar, reference.runningVar, "rank \(rank) running variance")
        }
        let dw = parts.map(\.weightGradient).reduce([0, 0, 0]) { zip($0, $1).map(+) }
        let db = parts.map(\.biasGradient).reduce([0, 0, 0]) { zip($0, $1).map(+) }
        assertClose(dw, reference.weightGradient, "Σ weight gradients")
        assertClose(db, reference.biasGradient, "Σ bias gradients")
    }

    /// Every replica on a stand-in (a global batch with no sample left): finite outputs, no
    /// gradient, running statistics untouched.
    func testAllStandIns_giveFiniteValuesAndLeaveRunningStatisticsAlone() throws {
        let parts = try InProcessWorld.run(size: 2) { comm -> (Result, Float) in
            let reduction = CommunicatorBatchReduction(communicator: comm)
            reduction.contributes = false
            let bn = Self.batchNorm(Self.rows(Self.whole, 0..<0), Self.rows(Self.upstream, 0..<0), reduction: reduction)
            let g = Graph(training: true)
            g.batchReduction = reduction
            let x = g.input(Tensor(shape: [3], values: [1, 2, 3]), requiresGrad: true)
            let m = x.batchMinimum()
            g.backward(m, seed: 0)
            return (bn, m.value[0])
        }
        for (bn, minimum) in parts {
            XCTAssertTrue(bn.output.allSatisfy(\.isFinite) && bn.inputGradient.allSatisfy { $0 == 0 })
            XCTAssertEqual(bn.runningMean, [0, 0, 0])
            XCTAssertEqual(bn.runningVar, [1, 1, 1])
            XCTAssertEqual(minimum, 0)
        }
    }

    func testLocalBatchNorm_differsFromTheWholeBatch_soTheTestAboveCanFail() {
        let reference = Self.batchNorm(Self.whole, Self.upstream, reduction: nil)
        let part = Self.batchNorm(Self.rows(Self.whole, 0..<2), Self.rows(Self.upstream, 0..<2), reduction: nil)
        let per = Self.whole.count / 5
        XCTAssertGreaterThan(zip(part.output, reference.output[0..<(2 * per)]).map { abs($0 - $1) }.max() ?? 0, 1e-3)
    }

    /// max over the batch: the largest element lives on one replica, its gradient is Σ of every
    /// replica's upstream gradient; ties across replicas share it.
    func testBatchMaximum_overReplicas_routesTheWholeGradientToTheGlobalArgmax() throws {
        let values: [[Float]] = [[1, 7, 2], [7, 3], []]
        let results = try InProcessWorld.run(size: 3) { comm -> (Float, [Float]) in
            let reduction = CommunicatorBatchReduction(communicator: comm)
            let mine = values[comm.rank]
            reduction.contributes = !mine.isEmpty
            let g = Graph(training: true)
            g.batchReduction = reduction
            let x = g.input(Tensor(shape: [max(mine.count, 1)], values: mine.isEmpty ? [100] : mine), requiresGrad: true)
            let m = x.batchMaximum()
            // Upstream gradient of the max: 2 per replica (as Σ over a replica's S = max − D terms).
            g.backward(m, seed: mine.isEmpty ? 0 : 2)
            return (m.value[0], g.grad(of: x)!.array)
        }
        for (value, _) in results { XCTAssertEqual(value, 7, "the stand-in's 100 does not count") }
        // Σ upstream = 4 over two ties → 2 each; the stand-in gets nothing.
        XCTAssertEqual(results.map(\.1), [[0, 2, 0], [2, 0], [0]])
    }
}
