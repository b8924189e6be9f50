import XCTest
import Foundation
@testable import Autograd
@testable import Optim

final class OptimizerTests: XCTestCase {
    func makeSlice(_ w: [Float], _ g: [Float]) -> (FlatSlice, Tensor, Tensor) {
        let wt = Tensor(shape: [w.count], values: w), gt = Tensor(shape: [g.count], values: g)
        return (FlatSlice(values: wt, gradients: gt), wt, gt)
    }

    /// Adam against the textbook formula in double precision over three steps with changing gradients.
    func testAdam_matchesFormulaOverSeveralSteps() {
        for decoupled in [false, true] {
            let config = Adam.Configuration(weightDecay: 0.1, decoupledWeightDecay: decoupled)
            let (slice, w, g) = makeSlice([0.5, -1, 2], [0, 0, 0])
            let adam = Adam(count: 3, configuration: config)
            var rw: [Double] = [0.5, -1, 2], m = [0.0, 0, 0], v = [0.0, 0, 0]
            let lr = 0.01
            for t in 1...3 {
                let grads: [Double] = [0.3 * Double(t), -0.2, 1e-3]
                for i in 0..<3 { g[i] = Float(grads[i]) }
                adam.step(slice, learningRate: Float(lr))
                for i in 0..<3 {
                    var gi = grads[i]
                    if !decoupled { gi += 0.1 * rw[i] } else { rw[i] *= 1 - lr * 0.1 }
                    m[i] = 0.9 * m[i] + 0.1 * gi
                    v[i] = 0.999 * v[i] + 0.001 * gi * gi
                    let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                    rw[i] -= lr * mh / (vh.squareRoot() + 1e-8)
                }
            }
            for i in 0..<3 { XCTAssertEqual(Double(w[i]), rw[i], accuracy: 1e-6, "decoupled \(decoupled) [\(i)]") }
            XCTAssertEqual(adam.stepCount, 3)
        }
    }

    func testSGD_momentumAndNesterov() {
        for nesterov in [false, true] {
            let (slice, w, g) = makeSlice([1], [0])
            let sgd = SGD(count: 1, configuration: .init(momentum: 0.9, nesterov: nesterov))
            var rw = 1.0, b = 0.0
            for t in 0..<3 {
                let grad = Double(t + 1)
                g[0] = Float(grad)
                sgd.step(slice, learningRate: 0.1)
                b = t == 0 ? grad : 0.9 * b + grad
                rw -= 0.1 * (nesterov ? grad + 0.9 * b : b)
            }
            XCTAssertEqual(Double(w[0]), rw, accuracy: 1e-6)
        }
    }

    /// SAM moves w by ρ·g/‖g‖ and puts it back exactly.
    func testSAM_perturbsAlongNormalisedGradientAndRestoresExactly() {
        let (slice, w, _) = makeSlice([1, 2, 3], [3, 0, 4])
        let sam = SAM(count: 3, rho: 0.05)
        let before = w.array
        let norm = sam.perturb(slice)
        XCTAssertEqual(norm, 5, accuracy: 1e-9)
        XCTAssertEqual(w[0], 1 + 0.05 * 3 / 5, accuracy: 1e-7)
        XCTAssertEqual(w[1], 2)
        XCTAssertEqual(w[2], 3 + 0.05 * 4 / 5, accuracy: 1e-7)
        sam.restore(slice)
        XCTAssertEqual(w.array, before)
    }

    func testClipping_scalesOnlyAboveMaximum() {
        let (slice, _, g) = makeSlice([0, 0], [3, 4])
        XCTAssertEqual(GradientClipping.clip(slice, maxNorm: 10), 5, accuracy: 1e-9)
        XCTAssertEqual(g.array, [3, 4])
        GradientClipping.clip(slice, maxNorm: 1)
        XCTAssertEqual(g[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(g[1], 0.8, accuracy: 1e-6)
    }

    func testSchedule_exponentialWarmupCosine() {
        let exp = LearningRateSchedule(base: 3e-6)
        XCTAssertEqual(Double(exp.rate(epoch: 0, step: 0)), 3e-6, accuracy: 1e-12)
        XCTAssertEqual(Double(exp.rate(epoch: 2, step: 999)), 3e-6 * 0.98 * 0.98, accuracy: 1e-12)
        let warm = LearningRateSchedule(base: 1, decay: .constant, warmupSteps: 4)
        XCTAssertEqual(warm.rate(epoch: 0, step: 0), 0.25)
        XCTAssertEqual(warm.rate(epoch: 0, step: 3), 1)
        let cosine = LearningRateSchedule(base: 1, decay: .cosine(epochs: 10, minimum: 0))
        XCTAssertEqual(cosine.rate(epoch: 5, step: 0), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(epoch: 20, step: 0), 0, accuracy: 1e-6)
    }

    /// Same data, same seed: two runs of several steps are bit-identical.
    func testDeterminism_identicalRunsGiveIdenticalParameters() {
        func run() -> [Float] {
            var layout = ParameterLayout()
            let w = layout.parameter("w", [8, 4], .kaimingUniform(fanIn: 4))
            let store = ParameterStore(layout: layout, seed: 3)
            let adam = Adam(count: store.values.count), sam = SAM(count: store.values.count)
            let slice = FlatSlice(store)
            var rng = SeededRNG(seed: 4)
            let x = Tensor(shape: [5, 4]) { rng.uniform(-1, 1) }
            for _ in 0..<4 {
                for pass in 0..<2 {
                    store.zeroGradients()
                    let g = Graph(parameters: store)
                    let loss = g.input(x).matmul(g.param(w), transposeB: true).crossEntropy(labels: [0, 1, 2, 3, 7])
                    g.backward(loss)
                    if pass == 0 { sam.perturb(slice) } else { sam.restore(slice) }
                }
                adam.step(slice, learningRate: 1e-2)
            }
            return store.values.array
        }
        XCTAssertEqual(run(), run())
    }

    /// The flat passes on a pool (Adam, SGD, SAM's move and copies, the sum of squares, zeroing)
    /// give the one-thread results bit for bit, over a buffer long enough to be split.
    func testFlatPassesOnAPool_equalOneThreadBitForBit() {
        let n = 300_007
        func buffers(_ seed: UInt64) -> (FlatSlice, Tensor, Tensor) {
            var rng = SeededRNG(seed: seed)
            let w = Tensor(shape: [n]) { rng.uniform(-1, 1) }, g = Tensor(shape: [n]) { rng.uniform(-1, 1) }
            return (FlatSlice(values: w, gradients: g), w, g)
        }
        let pool = ComputePool(threads: 3)
        // A pointer does not keep its tensor alive: hold the tensors while their data is read.
        let (_, _, g1) = buffers(1)
        withExtendedLifetime(g1) {
            XCTAssertEqual(FlatNorm.sumOfSquares(g1.data, count: n, compute: pool).bitPattern,
                           FlatNorm.sumOfSquares(g1.data, count: n).bitPattern)
            XCTAssertEqual(FlatNorm.sumOfSquares(g1.data, count: n, parts: 3, compute: pool).bitPattern,
                           FlatNorm.sumOfSquares(g1.data, count: n, parts: 3).bitPattern)
        }
        func run(_ compute: ComputePool?) -> [[Float]] {
            let (slice, w, g) = buffers(2)
            defer { withExtendedLifetime(g) {} }
            let adam = Adam(count: n, configuration: .init(weightDecay: 0.01)), sgd = SGD(count: n, configuration: .init(momentum: 0.9))
            let sam = SAM(count: n, rho: 0.05)
            var states: [[Float]] = []
            for _ in 0..<2 {
                sam.perturb(slice, only: 1000..<200_000, compute: compute)
                states.append(w.array)
                sam.restore(slice, compute: compute)
                adam.step(slice, learningRate: 1e-3, compute: compute)
                sgd.step(slice, learningRate: 1e-2, compute: compute)
                states.append(w.array)
            }
            return states + [Array(UnsafeBufferPointer(start: adam.m, count: n))]
        }
        let plain = run(nil), pooled = run(pool)
        XCTAssertEqual(pooled.count, plain.count)
        for (k, (a, b)) in zip(pooled, plain).enumerated() {
            XCTAssertTrue(a.elementsEqual(b) { $0.bitPattern == $1.bitPattern }, "state \(k)")
        }
        var layout = ParameterLayout()
        _ = layout.parameter("p", [n], .constant(0))
        let store = ParameterStore(layout: layout)
        store.gradients.data.update(repeating: 7, count: n)
        store.zeroGradients(compute: pool)
        XCTAssertTrue(store.gradients.array.allSatisfy { $0 == 0 && $0.sign == .plus })
    }
}
