import XCTest
@testable import Autograd

/// Convolutions, linear layers and attention in bfloat16 against their float32 references:
/// relative error of a few 1e-3, as bfloat16's 8-bit mantissa gives, and never exactly float32.
final class BFloat16OpsTests: XCTestCase {
    /// The bfloat16 kernels this CPU can run: the AVX2 emulation everywhere, the native one
    /// where the CPU has it.
    static let kernels: [BFloat16Kernel] = BFloat16Kernel.best == .avx512bf16 ? [.avx2, .avx512bf16] : [.avx2]

    /// ‖got − want‖ / ‖want‖ within `tolerance` (a NaN fails), and `got` not float32's own result.
    func assertBFloat16Close(_ got: Tensor, _ want: Tensor, tolerance: Double = 1e-2, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.shape, want.shape, what, file: file, line: line)
        var diff = 0.0, norm = 0.0
        for (g, w) in zip(got.array, want.array) {
            diff += Double(g - w) * Double(g - w)
            norm += Double(w) * Double(w)
        }
        let relative = (diff / max(norm, 1e-30)).squareRoot()
        XCTAssertTrue(relative <= tolerance, "\(what): relative error \(relative) over \(tolerance)", file: file, line: line)
        XCTAssertGreaterThan(relative, 1e-7, "\(what): bfloat16 result equals float32's: was it rounded?", file: file, line: line)
    }

    func testConvGEMM_inBFloat16_matchesReference_forEveryShapeFamily() {
        for kernel in Self.kernels {
            for (k, (name, xs, ws, s, p)) in Conv2dTests.cases.enumerated() {
                let geo = ConvGeometry(input: xs, weight: ws, stride: s, padding: p)
                let x = randomTensor(xs, seed: UInt64(10 + k)), w = randomTensor(ws, seed: UInt64(20 + k))
                let dy = randomTensor(geo.outputShape, seed: UInt64(40 + k))
                let refOut = Tensor(zeros: geo.outputShape), refDx = Tensor(zeros: xs), refDw = Tensor(zeros: ws)
                ConvReference.forward(geo, x: x.data, weight: w.data, bias: nil, out: refOut.data)
                ConvReference.backward(geo, x: x.data, weight: w.data, dOut: dy.data, dx: refDx.data,
                                       dWeight: refDw.data, dBias: nil)
                for width in [1, 1 << 20] {
                    let plan = ConvGEMM.Plan(geo, precision: .bfloat16(kernel), targetWidth: width)
                    let label = "\(kernel) \(name), \(plan.imagesPerTile) image(s) per tile"
                    let workspace = Tensor(zeros: [plan.workspaceCount])
                    let out = Tensor(zeros: geo.outputShape), dx = Tensor(zeros: xs), dw = Tensor(zeros: ws)
                    ConvGEMM.forward(plan, x: x.data, weight: w.data, bias: nil, out: out.data,
                                     workspace: workspace.data, compute: ComputePool(threads: 2))
                    ConvGEMM.backward(plan, x: x.data, weight: w.data, dOut: dy.data, dx: dx.data,
                                      dWeight: dw.data, dBias: nil, workspace: workspace.data, compute: ComputePool(threads: 2))
                    assertBFloat16Close(out, refOut, label + " forward")
                    assertBFloat16Close(dx, refDx, label + " dx")
                    assertBFloat16Close(dw, refDw, label + " dweight")
                }
            }
        }
    }

    func testConvKernelChoice_inBFloat16_winogradUnlessGEMMsAreChosen() {
        let geo = ConvGeometry(input: [2, 16, 8, 8], weight: [16, 16, 3, 3], stride: 1, padding: 1)
        func path(_ precision: MatrixPrecision, _ choice: BFloat16ConvChoice) -> String {
            switch ConvKernel(geo, precision: precision, options: EngineOptions(bf16Conv: choice)) {
            case .winograd: "winograd"
            case .gemm(let plan): plan.precision == precision ? "gemm" : "gemm in \(plan.precision)"
            }
        }
        XCTAssertEqual(path(.float32, .gemm), "winograd", "float32 keeps Winograd whatever bf16's choice")
        XCTAssertEqual(path(.bfloat16(.avx2), .automatic), "winograd", "emulated bfloat16 multiplies at float32's rate")
        XCTAssertEqual(path(.bfloat16(.avx512bf16), .automatic), "winograd", "F(4x4) saves more than vdpbf16ps gains")
        XCTAssertEqual(path(.bfloat16(.avx512bf16), .gemm), "gemm")
        XCTAssertEqual(path(.bfloat16(.avx512bf16), .winograd), "winograd")
        XCTAssertEqual(path(.bfloat16(.avx2), .gemm), "gemm")
        let strided = ConvGeometry(input: [2, 16, 8, 8], weight: [32, 16, 3, 3], stride: 2, padding: 1)
        if case .gemm(let plan) = ConvKernel(strided, precision: .bfloat16(.avx2), options: EngineOptions(bf16Conv: .winograd)) {
            XCTAssertEqual(plan.precision, .bfloat16(.avx2))
        } else {
            XCTFail("a strided conv is an im2col GEMM, in bfloat16")
        }
    }

    func testConv2dOp_inBFloat16GEMM_matchesFloat32Op() {
        let x = randomTensor([3, 16, 9, 9], seed: 1), w = randomTensor([16, 16, 3, 3], seed: 2, scale: 0.2)
        let dy = randomTensor([3, 16, 9, 9], seed: 3)
        func run(_ precision: MatrixPrecision) -> (Tensor, Tensor, Tensor) {
            let g = Graph(compute: ComputePool(threads: 2, options: EngineOptions(bf16Conv: .gemm)), matrixPrecision: precision)
            let vx = g.input(x, requiresGrad: true), vw = g.input(w, requiresGrad: true)
            let y = vx.conv2d(weight: vw, bias: nil, stride: 1, padding: 1)
            g.backward(y, seedGradient: dy)
            return (y.value.copy(), g.grad(of: vx)!.copy(), g.grad(of: vw)!.copy())
        }
        let (y32, dx32, dw32) = run(.float32)
        let (y16, dx16, dw16) = run(.bfloat16(.avx2))
        assertBFloat16Close(y16, y32, "y")
        assertBFloat16Close(dx16, dx32, "dx")
        assertBFloat16Close(dw16, dw32, "dw")
    }

    func testLinear_inBFloat16_matchesReference() {
        for kernel in Self.kernels {
            let (m, i, o) = (37, 45, 70)
            let x = randomTensor([m, i], seed: 1), w = randomTensor([o, i], seed: 2), bias = randomTensor([o], seed: 3)
            let dy = randomTensor([m, o], seed: 4)
            let g = Graph(compute: ComputePool(threads: 2), matrixPrecision: .bfloat16(kernel))
            let vx = g.input(x, requiresGrad: true), vw = g.input(w, requiresGrad: true)
            let vb = g.input(bias, requiresGrad: true)
            let y = vx.linear(weight: vw, bias: vb)
            g.backward(y, seedGradient: dy)
            let yRef = Tensor(zeros: [m, o]), dx = Tensor(zeros: x.shape), dw = Tensor(zeros: w.shape)
            LinearKernel.forwardReference(y: yRef.data, x: x.data, w: w.data, b: bias.data, rows: m, inFeatures: i, outFeatures: o)
            LinearKernel.backwardReference(dx: dx.data, dw: dw.data, db: nil, dy: dy.data, x: x.data, w: w.data,
                                           rows: m, inFeatures: i, outFeatures: o)
            assertBFloat16Close(y.value, yRef, "\(kernel) y")
            assertBFloat16Close(g.grad(of: vx)!, dx, "\(kernel) dx")
            assertBFloat16Close(g.grad(of: vw)!, dw, "\(kernel) dw")
        }
    }

    func testSelfAttention_inBFloat16_matchesReference() {
        for kernel in Self.kernels {
            let sizes = AttentionKernel.Sizes(batch: 2, tokens: 13, heads: 3, headWidth: 8)
            let d = sizes.width
            let qkv = randomTensor([2, 13, 3 * d], seed: 1, scale: 2), dy = randomTensor([2, 13, d], seed: 2)
            let g = Graph(compute: ComputePool(threads: 2), matrixPrecision: .bfloat16(kernel))
            let x = g.input(qkv, requiresGrad: true)
            let y = x.selfAttention(heads: 3)
            g.backward(y, seedGradient: dy)
            let out = Tensor(zeros: [2, 13, d]), probs = Tensor(zeros: [2, 3, 13, 13]), dqkv = Tensor(zeros: qkv.shape)
            AttentionKernel.forwardReference(out: out.data, probs: probs.data, qkv: qkv.data, sizes: sizes)
            AttentionKernel.backwardReference(dqkv: dqkv.data, dout: dy.data, probs: probs.data, qkv: qkv.data, sizes: sizes)
            assertBFloat16Close(y.value, out, "\(kernel) out")
            assertBFloat16Close(g.grad(of: x)!, dqkv, tolerance: 2e-2, "\(kernel) dqkv")
        }
    }
}
