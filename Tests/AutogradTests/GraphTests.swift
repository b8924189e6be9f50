import TestSupport
import XCTest
@testable import Autograd

final class GraphTests: XCTestCase {
    /// The harness itself must be able to fail: an op whose backward is off by a factor of 2.
    func testGradientCheck_detectsWrongBackward() {
        let x = randomTensor([3, 4], seed: 1)
        let report = GradientCheck.run(inputs: [x]) { g, v in
            let input = v[0]
            let out = g.allocate(input.shape)
            for i in 0..<out.count { out.data[i] = 3 * input.data[i] }
            return g.record(out, inputs: [input]) { g, dy in
                guard let dx = g.gradient(for: input) else { return }
                for i in 0..<dx.count { dx.data[i] += 6 * dy.data[i] }
            }
        }
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.failures, 12)
    }

    /// Using one parameter twice accumulates both uses into its slice of the flat gradient buffer.
    func testParameterGradients_accumulateIntoFlatBuffer() {
        var layout = ParameterLayout()
        let a = layout.parameter("a", [2], .constant(3))
        let b = layout.parameter("b", [2], .constant(-1))
        let store = ParameterStore(layout: layout)
        XCTAssertEqual(store.values.array, [3, 3, -1, -1])
        let g = Graph(parameters: store)
        let x = g.input(Tensor(shape: [2], values: [1, 2]))
        let y = (g.param(a) * x + g.param(a) * g.param(b)).sum()
        g.backward(y)
        // ∂/∂a = x + b, ∂/∂b = a.
        XCTAssertEqual(store.gradients.array, [0, 1, 3, 3])
        store.zeroGradients()
        XCTAssertEqual(store.gradients.array, [0, 0, 0, 0])
    }

    /// A second identical step reuses the pooled activations instead of allocating more.
    func testReset_reusesPooledMemory() {
        let g = Graph()
        let x = randomTensor([64, 64], seed: 2)
        func step() {
            let v = g.input(x, requiresGrad: true)
            g.backward(v.matmul(v).relu().softmax().sum())
            g.reset()
        }
        step()
        let reserved = g.pool.bytesReserved
        for _ in 0..<5 { step() }
        XCTAssertEqual(g.pool.bytesReserved, reserved)
        XCTAssertGreaterThan(reserved, 0)
    }

    func testInitializers_deterministicAndInRange() {
        var layout = ParameterLayout()
        let w = layout.parameter("w", [100, 10], .kaimingUniform(fanIn: 10))
        let t = layout.parameter("t", [1000], .truncatedNormal(std: 0.02))
        let s1 = ParameterStore(layout: layout, seed: 5), s2 = ParameterStore(layout: layout, seed: 5)
        XCTAssertEqual(s1.values.array, s2.values.array)
        XCTAssertNotEqual(s1.values.array, ParameterStore(layout: layout, seed: 6).values.array)
        let bound = Float(1 / 10.0.squareRoot())
        XCTAssertTrue(s1.value(w).array.allSatisfy { abs($0) <= bound })
        let tv = s1.value(t).array
        let std = (tv.map { $0 * $0 }.reduce(0, +) / Float(tv.count)).squareRoot()
        XCTAssertEqual(std, 0.02, accuracy: 0.003)
    }

    /// An activation no backward reads (here the inner sum, whose consumer is another sum)
    /// goes back to the pool during the forward pass; gradients are unaffected.
    func testForward_releasesActivationsNoBackwardReads() {
        let g = Graph()
        let x = g.input(randomTensor([1000], seed: 3), requiresGrad: true)
        let out = (x + x) + x
        XCTAssertEqual(g.pool.bytesInUse, 1000 * MemoryLayout<Float>.stride, "only the output stays in use")
        XCTAssertEqual(g.pool.peakBytesInUse, 2000 * MemoryLayout<Float>.stride)
        g.backward(out.sum())
        XCTAssertEqual(g.grad(of: x)?.array, Array(repeating: 3, count: 1000))
    }

    /// Ops whose backward reads their own output (softmax, a quotient, a pointwise function)
    /// keep it alive themselves once the caller drops it.
    func testBackward_readsOwnOutputAfterCallerDroppedIt() {
        let g = Graph()
        let x = g.input(Tensor(shape: [2, 3], values: [1, 2, 3, -1, 0, 1]), requiresGrad: true)
        let w = Tensor(shape: [2, 3], values: [0.5, -1, 2, 1, 1, -3])
        // Only the scalar loss survives this scope; softmax, the quotient and the sigmoid are dropped.
        let loss: Variable = {
            let s = x.softmax(axis: 1)
            let q = g.input(w) / (x.sigmoid() + g.input(Tensor(shape: [1], values: [1])))
            return (s * g.input(w) + q).sum()
        }()
        // Anything the pool hands out now would overwrite a buffer backward still needs.
        for _ in 0..<8 { g.allocate([6]).data.update(repeating: 1e6, count: 6) }
        g.backward(loss)
        let fresh = Graph()
        let x2 = fresh.input(x.value, requiresGrad: true)
        let s2 = x2.softmax(axis: 1)
        let q2 = fresh.input(w) / (x2.sigmoid() + fresh.input(Tensor(shape: [1], values: [1])))
        fresh.backward((s2 * fresh.input(w) + q2).sum())
        XCTAssertEqual(g.grad(of: x)!.array, fresh.grad(of: x2)!.array)
    }

    /// Sums hand their output gradient on without a copy where they can: the results must not
    /// see it. Every pattern where sharing would alias two gradients (x + x, x − x, an operand
    /// both summed and used again earlier, a residual that is the BatchNorm's own input, a
    /// reshape of a summed operand) against the same function written with products by 1,
    /// which never share.
    func testSharedOutputGradients_matchUnsharedBackward() {
        let x0 = randomTensor([2, 3, 4, 4], seed: 11), y0 = randomTensor([2, 3, 4, 4], seed: 12)
        let weight = randomTensor([3], seed: 13), bias = randomTensor([3], seed: 14)
        func run(share: Bool) -> [[Float]] {
            let g = Graph(compute: ComputePool(threads: 1))
            let x = g.input(x0, requiresGrad: true), y = g.input(y0, requiresGrad: true)
            let w = g.input(weight, requiresGrad: true), b = g.input(bias, requiresGrad: true)
            let one = g.input(Tensor(shape: [1], values: [1]))
            // Without sharing, every sum goes through a broadcast operand (no identity map).
            func plus(_ a: Variable, _ c: Variable) -> Variable { share ? a + c : a * one + c * one }
            func minus(_ a: Variable, _ c: Variable) -> Variable { share ? a - c : a * one - c * one }
            let stats = (Tensor(shape: [3], values: [0, 0, 0]), Tensor(shape: [3], values: [1, 1, 1]))
            let s1 = plus(x, x)                                   // x + x
            let s2 = minus(y, y) + y.scaled(by: 2)                // y − y, then y again
            // t reaches the fused BatchNorm with no gradient yet, as its input and its residual.
            let t = y.scaled(by: 0.5)
            let bn = share
                ? t.batchNorm2d(weight: w, bias: b, runningMean: stats.0, runningVar: stats.1, adding: t)
                : t.batchNorm2d(weight: w, bias: b, runningMean: stats.0, runningVar: stats.1) * one + t * one
            // u gets a gradient from z first, then from p, created between u and z.
            let u = x.sigmoid(), v = y.scaled(by: 3)
            let p = u * y
            let z = plus(u, v)
            let flat = plus(s1.reshaped([2, 48]), (s2 * x).reshaped([2, 48])).reshaped([2, 3, 4, 4])
            let loss = (plus(flat, bn) * y.sigmoid() + p * z.tanh()).sum()
            g.backward(loss)
            return [x, y, w, b].map { g.grad(of: $0)!.array }
        }
        let shared = run(share: true), plain = run(share: false)
        for (name, (s, p)) in zip(["x", "y", "weight", "bias"], zip(shared, plain)) {
            XCTAssertEqual(s.count, p.count)
            let worst = zip(s, p).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .nan
            XCTAssertLessThan(worst, 1e-5, "gradient of \(name)")
        }
    }

    /// Linear, GELU and PReLU store into an input's gradient when theirs is the first to arrive
    /// and add otherwise: x feeds all three, each in turn the last on the tape (so the first in
    /// backward), and the gradients match finite differences every way round.
    func testFirstGradientStored_laterOnesAdded_matchFiniteDifferences() {
        let inputs = [randomTensor([2, 3, 4, 4], seed: 21), randomTensor([4, 4], seed: 22), randomTensor([4], seed: 23),
                      randomTensor([3], seed: 24, scale: 0.3)]
        let orders: [[Int]] = [[0, 1, 2], [1, 2, 0], [2, 0, 1]]
        for order in orders {
            let report = GradientCheck.run(inputs: inputs) { _, v in
                let x = v[0]
                let branches = order.map { op -> Variable in
                    switch op {
                    case 0: return x.linear(weight: v[1], bias: v[2])
                    case 1: return x.gelu()
                    default: return x.prelu(slopes: v[3])
                    }
                }
                return (branches[0] + branches[1]) * branches[2]
            }
            XCTAssertTrue(report.passed, "order \(order): \(report)")
        }
    }
}
