import BFloat16Kernels
import XCTest
@testable import Autograd

/// Activations kept as bfloat16 for backward (`BFloat16Tensor`, `Graph.storesBFloat16Activations`):
/// the memory they free, and that the gradients through bfloat16 GEMMs do not change.
final class BFloat16ActivationTests: XCTestCase {
    func testBFloat16Tensor_roundTrip_isTheRoundedFloats_bitForBit() {
        var values = randomTensor([1001], seed: 7, scale: 3).array
        values += [0, -0, .infinity, -.infinity, .nan, Float(bitPattern: 0x0001_1000), -Float(bitPattern: 0x0000_0100), 3.4e38, Float(bitPattern: 0x3F80_8000)]
        let t = Tensor(shape: [values.count], values: values)
        let pool = BufferPool()
        let compact = BFloat16Tensor(rounding: t, pool: pool, compute: ComputePool(threads: 2))
        let wide = Tensor(zeros: t.shape), rounded = Tensor(zeros: t.shape)
        compact.widen(into: wide.data, compute: ComputePool(threads: 2))
        qcs_bf16_round_floats(t.data, rounded.data, t.count)
        XCTAssertEqual(wide.array.map(\.bitPattern), rounded.array.map(\.bitPattern))
        XCTAssertEqual(pool.bytesInUse, (values.count + 1) / 2 * 4, "two bfloat16 values per pooled float")
        XCTAssertTrue(wide.array.contains { $0.isNaN }, "a NaN stays a NaN")
    }

    /// conv (strided, 1x1, and a 3x3 moved to bfloat16 GEMMs), then linear: every gradient is the
    /// same bits whether their inputs were kept as float32 or as bfloat16.
    func testGradients_throughBFloat16GEMMs_areIdentical_withActivationsKeptAsBFloat16() {
        let x = randomTensor([2, 8, 9, 9], seed: 1)
        let w1 = randomTensor([16, 8, 3, 3], seed: 2, scale: 0.3), w2 = randomTensor([16, 16, 1, 1], seed: 3, scale: 0.3)
        let w3 = randomTensor([16, 16, 3, 3], seed: 4, scale: 0.3), w4 = randomTensor([5, 16 * 25], seed: 5, scale: 0.1)
        let b4 = randomTensor([5], seed: 6)
        func gradients(compact: Bool) -> [[UInt32]] {
            let g = Graph(compute: ComputePool(threads: 2, options: EngineOptions(bf16Conv: .gemm)),
                          matrixPrecision: .bfloat16(.avx2))
            g.storesBFloat16Activations = compact
            let inputs = [x, w1, w2, w3, w4, b4].map { g.input($0, requiresGrad: true) }
            let h = inputs[0].conv2d(weight: inputs[1], bias: nil, stride: 2, padding: 1)
                .conv2d(weight: inputs[2], bias: nil).scaled(by: 1.5)
                .conv2d(weight: inputs[3], bias: nil, stride: 1, padding: 1)
            let y = h.reshaped([2, 16 * 25]).linear(weight: inputs[4], bias: inputs[5])
            g.backward((y * y).sum())
            return [y.value.array.map(\.bitPattern)] + inputs.map { g.grad(of: $0)!.array.map(\.bitPattern) }
        }
        let kept = gradients(compact: false), compacted = gradients(compact: true)
        XCTAssertEqual(kept.count, 7)
        for (i, (a, b)) in zip(kept, compacted).enumerated() {
            XCTAssertEqual(a, b, "tensor \(i) changed when the GEMM inputs were kept as bfloat16")
        }
        XCTAssertFalse(kept[1].contains { Float(bitPattern: $0).isNaN })
    }

    /// After the forward pass, the pool holds half of a conv input that nothing else reads.
    func testConvInput_readOnlyByItsBackward_isHeldInHalfTheMemory() {
        let shape = [2, 8, 11, 11], count = shape.reduce(1, *)
        func inUseAfterForward(compact: Bool, precision: MatrixPrecision) -> (Int, Graph, Variable) {
            let g = Graph(compute: ComputePool(threads: 2), matrixPrecision: precision)
            g.storesBFloat16Activations = compact
            let y = Self.convOfTemporary(g, shape: shape)
            return (g.pool.bytesInUse, g, y)
        }
        let (full, g1, y1) = inUseAfterForward(compact: false, precision: .bfloat16(.avx2))
        let (half, g2, y2) = inUseAfterForward(compact: true, precision: .bfloat16(.avx2))
        let (float32, g3, y3) = inUseAfterForward(compact: true, precision: .float32)
        XCTAssertEqual(full - half, count * 4 - (count + 1) / 2 * 4, "the float32 input went back to the pool")
        XCTAssertEqual(float32, full, "float32 passes keep float32 activations")
        withExtendedLifetime([g1, g2, g3]) { _ = [y1, y2, y3] }
    }

    /// conv of a temporary that no one else holds once this returns.
    private static func convOfTemporary(_ g: Graph, shape: [Int]) -> Variable {
        let x = g.input(randomTensor(shape, seed: 9)).scaled(by: 2)
        let w = g.input(randomTensor([4, shape[1], 3, 3], seed: 10), requiresGrad: true)
        return x.conv2d(weight: w, bias: nil, stride: 2, padding: 1)
    }

    func testPReLU_withInputKeptAsBFloat16_sameInputGradient_slopeGradientWithinRounding() {
        let x = randomTensor([3, 6, 7, 7], seed: 11), slopes = randomTensor([6], seed: 12, scale: 0.5)
        let dy = randomTensor([3, 6, 7, 7], seed: 13)
        func gradients(compact: Bool) -> (dx: [Float], da: [Float]) {
            let g = Graph(compute: ComputePool(threads: 2), matrixPrecision: .bfloat16(.avx2))
            g.storesBFloat16Activations = compact
            let vx = g.input(x, requiresGrad: true), va = g.input(slopes, requiresGrad: true)
            g.backward(vx.prelu(slopes: va), seedGradient: dy)
            return (g.grad(of: vx)!.array, g.grad(of: va)!.array)
        }
        let kept = gradients(compact: false), compacted = gradients(compact: true)
        XCTAssertEqual(kept.dx.map(\.bitPattern), compacted.dx.map(\.bitPattern), "dx depends on x's sign only")
        // Each term dy·x moves by at most 2⁻⁸ of itself when x is rounded.
        var bound = [Double](repeating: 0, count: 6)
        for i in 0..<x.count where x[i] <= 0 { bound[(i / 49) % 6] += Double(abs(dy[i] * x[i])) * 0x1p-8 }
        for (c, (a, b)) in zip(kept.da, compacted.da).enumerated() {
            XCTAssertTrue(Double(abs(a - b)) <= bound[c] * 1.01 + 1e-6, "slope \(c): \(b) against \(a), bound \(bound[c])")
            XCTAssertNotEqual(a, b, "slope \(c): the rounded input changed nothing: was it rounded?")
        }
    }

    func testGELU_withInputKeptAsBFloat16_gradientWithinRounding() {
        let x = randomTensor([5, 300], seed: 14, scale: 3), dy = randomTensor([5, 300], seed: 15)
        func gradient(compact: Bool) -> [Float] {
            let g = Graph(compute: ComputePool(threads: 2), matrixPrecision: .bfloat16(.avx2))
            g.storesBFloat16Activations = compact
            let vx = g.input(x, requiresGrad: true)
            g.backward(vx.gelu(), seedGradient: dy)
            return g.grad(of: vx)!.array
        }
        let kept = gradient(compact: false), compacted = gradient(compact: true)
        // dx = dy·GELU′(x); |GELU″| ≤ 0.8 and x moves by at most 2⁻⁸ of itself.
        for i in 0..<x.count {
            let bound = Double(abs(dy[i])) * 0.8 * Double(abs(x[i])) * 0x1p-8 * 1.01 + 1e-7
            XCTAssertTrue(Double(abs(kept[i] - compacted[i])) <= bound, "element \(i): \(compacted[i]) against \(kept[i])")
        }
        XCTAssertNotEqual(kept, compacted, "the rounded input changed nothing: was it rounded?")
    }

    /// BatchNorm keeps x − μ, not x: with |μ| = 1000 σ, where bfloat16 steps of x are 4σ apart,
    /// the gradients still agree with float32-kept ones to bfloat16 rounding.
    func testBatchNorm_keepsCenteredInput_accurateEvenFarFromZero() {
        var rng = SeededRNG(seed: 21)
        let x = Tensor(shape: [4, 3, 5, 5]) { 1000 + rng.uniform(-1, 1) }
        let dy = randomTensor([4, 3, 5, 5], seed: 22)
        let weight = Tensor(shape: [3], values: [1, 0.5, 2]), bias = Tensor(shape: [3], values: [0, 0.1, -0.2])
        func gradients(compact: Bool) -> [[Float]] {
            let g = Graph(compute: ComputePool(threads: 2), matrixPrecision: .bfloat16(.avx2))
            g.storesBFloat16Activations = compact
            let vx = g.input(x, requiresGrad: true), vw = g.input(weight, requiresGrad: true)
            let vb = g.input(bias, requiresGrad: true)
            let y = vx.batchNorm2d(weight: vw, bias: vb, runningMean: Tensor(zeros: [3]), runningVar: Tensor(zeros: [3]))
            g.backward(y, seedGradient: dy)
            return [vx, vw, vb].map { g.grad(of: $0)!.array }
        }
        let kept = gradients(compact: false), compacted = gradients(compact: true)
        for (name, (a, b)) in zip(["dx", "dweight", "dbias"], zip(kept, compacted)) {
            var diff = 0.0, norm = 0.0
            for (u, v) in zip(a, b) { diff += Double(u - v) * Double(u - v); norm += Double(u) * Double(u) }
            let relative = (diff / norm).squareRoot()
            XCTAssertTrue(relative < 1e-2, "\(name): relative difference \(relative)")
        }
        XCTAssertEqual(kept[2], compacted[2], "dbias reads dy only")
        XCTAssertNotEqual(kept[1], compacted[1], "dweight reads the kept input: was it rounded?")
    }
}
