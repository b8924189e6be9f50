import BFloat16Kernels
import XCTest
@testable import Autograd

/// The bfloat16 GEMM against double-precision sums of the same rounded operands, against the
/// unrounded float32 product within bfloat16's tolerance, and its kernels against each other
/// (the AVX2 one bit for bit, the AVX512_BF16 one to rounding).
final class BFloat16GEMMTests: XCTestCase {
    /// One product's description: op(A) [m, k], op(B) [k, n], leading dimensions padded by `pad`.
    struct Case: CustomStringConvertible {
        var transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0, pad = 0
        var lda: Int { (transposeA ? m : k) + pad }
        var ldb: Int { (transposeB ? k : n) + pad }
        var ldc: Int { n + pad }
        var description: String {
            "\(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B") m \(m) n \(n) k \(k) alpha \(alpha) beta \(beta) pad \(pad)"
        }
    }

    /// Every transpose pair; sizes off the tile (8 x 32) and K block (256) edges; odd K; a K
    /// spanning several blocks; leading dimensions wider than the matrix; alpha and beta.
    static let cases: [Case] = {
        var cases: [Case] = []
        for ta in [false, true] {
            for tb in [false, true] {
                cases.append(Case(transposeA: ta, transposeB: tb, m: 1, n: 1, k: 1))
                cases.append(Case(transposeA: ta, transposeB: tb, m: 9, n: 33, k: 7, beta: 1))
                cases.append(Case(transposeA: ta, transposeB: tb, m: 17, n: 65, k: 257, alpha: 0.125, beta: 0.5, pad: 3))
            }
        }
        // Past one column block (512) and two K blocks.
        cases.append(Case(transposeA: false, transposeB: false, m: 12, n: 530, k: 520, pad: 1))
        cases.append(Case(transposeA: true, transposeB: true, m: 12, n: 530, k: 520, beta: 1))
        cases.append(Case(transposeA: false, transposeB: false, m: 8, n: 32, k: 256))
        cases.append(Case(transposeA: false, transposeB: true, m: 3, n: 5, k: 0, beta: 2))
        return cases
    }()

    struct Operands {
        let a: [Float], b: [Float], c: [Float]
        init(_ t: Case, seed: UInt64) {
            var rng = SeededRNG(seed: seed)
            a = (0..<((t.transposeA ? t.k : t.m) * t.lda)).map { _ in rng.uniform(-1, 1) }
            b = (0..<((t.transposeB ? t.n : t.k) * t.ldb)).map { _ in rng.uniform(-1, 1) }
            c = (0..<(t.m * t.ldc)).map { _ in rng.uniform(-1, 1) }
        }
        func opA(_ t: Case, _ i: Int, _ p: Int) -> Float { t.transposeA ? a[p * t.lda + i] : a[i * t.lda + p] }
        func opB(_ t: Case, _ p: Int, _ j: Int) -> Float { t.transposeB ? b[j * t.ldb + p] : b[p * t.ldb + j] }
    }

    static func bf16(_ x: Float) -> Float { HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: x)) }

    /// C after the product with `kernel` (padding columns of C untouched).
    func run(_ kernel: BFloat16Kernel, _ t: Case, _ x: Operands) -> [Float] {
        var c = x.c
        let status = x.a.withUnsafeBufferPointer { a in
            x.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    qcs_bf16_gemm(kernel.cValue, t.transposeA ? 1 : 0, t.transposeB ? 1 : 0, t.m, t.n, t.k, t.alpha,
                                  a.baseAddress!, t.lda, b.baseAddress!, t.ldb, t.beta, c.baseAddress!, t.ldc)
                }
            }
        }
        XCTAssertEqual(status, 0)
        return c
    }

    /// For each element of C: the double-precision result on rounded (or unrounded) operands and Σ|a·b|.
    func reference(_ t: Case, _ x: Operands, rounded: Bool) -> [(value: Double, magnitude: Double)] {
        var out: [(Double, Double)] = []
        for i in 0..<t.m {
            for j in 0..<t.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<t.k {
                    let u = rounded ? Self.bf16(x.opA(t, i, p)) : x.opA(t, i, p)
                    let v = rounded ? Self.bf16(x.opB(t, p, j)) : x.opB(t, p, j)
                    sum += Double(u) * Double(v)
                    magnitude += abs(Double(u) * Double(v))
                }
                let old = t.beta == 0 ? 0 : Double(t.beta) * Double(x.c[i * t.ldc + j])
                out.append((Double(t.alpha) * sum + old, abs(Double(t.alpha)) * magnitude + abs(old)))
            }
        }
        return out
    }

    func element(_ c: [Float], _ t: Case, _ index: Int) -> Float { c[(index / t.n) * t.ldc + index % t.n] }

    func testScalarKernel_matchesDoubleSumsOfRoundedOperands_andFloat32WithinBFloat16Tolerance() {
        for (s, t) in Self.cases.enumerated() {
            let x = Operands(t, seed: UInt64(100 + s))
            let c = run(.scalar, t, x)
            for (index, r) in reference(t, x, rounded: true).enumerated() {
                let got = Double(element(c, t, index))
                // Float32 sums of exact products: a few ulps of the magnitude per block of terms.
                XCTAssertLessThanOrEqual(abs(got - r.value), 1e-6 * Double(max(t.k, 1)).squareRoot() * r.magnitude + 1e-30,
                                         "\(t) element \(index)")
            }
            for (index, r) in reference(t, x, rounded: false).enumerated() {
                let got = Double(element(c, t, index))
                // Each operand is off by at most 2⁻⁸ relative, each product by a little over 2⁻⁷.
                XCTAssertLessThanOrEqual(abs(got - r.value), 0x1p-7 * r.magnitude + 1e-6, "\(t) element \(index) vs float32")
            }
            // The padding of C is never written.
            for row in 0..<t.m {
                for col in t.n..<t.ldc { XCTAssertEqual(c[row * t.ldc + col], x.c[row * t.ldc + col], "\(t) padding") }
            }
        }
    }

    func testAVX2Kernel_isBitIdenticalToScalar() throws {
        try XCTSkipUnless(BFloat16Kernel.best != .scalar, "this CPU has no AVX2 + FMA")
        for (s, t) in Self.cases.enumerated() {
            let x = Operands(t, seed: UInt64(200 + s))
            XCTAssertEqual(run(.avx2, t, x), run(.scalar, t, x), "\(t)")
        }
    }

    /// SIMDe adds each pair's two products before the accumulator (the instruction adds them one
    /// at a time), so the sums agree to rounding; a wrong lane or pair would be off by O(1).
    func testAVX512KernelLogic_onPortableIntrinsics_matchesScalar() {
        for (s, t) in Self.cases.enumerated() where t.m * t.n * t.k < 2_000_000 {
            let x = Operands(t, seed: UInt64(300 + s))
            let portable = run(.avx512Portable, t, x), scalar = run(.scalar, t, x)
            for (index, r) in reference(t, x, rounded: true).enumerated() {
                let diff = abs(Double(element(portable, t, index)) - Double(element(scalar, t, index)))
                XCTAssertLessThanOrEqual(diff, 2e-6 * Double(max(t.k, 1)).squareRoot() * r.magnitude + 1e-30, "\(t) element \(index)")
            }
        }
    }

    /// The instruction is documented to add the odd product, then the even one, each rounded, which
    /// is the scalar kernel's order; a CPU that fuses the two differs in the last bits only, so the
    /// check is to rounding, and the message says whether this CPU matched bit for bit.
    func testAVX512BF16Kernel_matchesScalar_onThisCPU() throws {
        try XCTSkipUnless(BFloat16Kernel.best == .avx512bf16, "this CPU has no AVX512_BF16; the portable test covers the kernel's logic")
        var identical = true
        for (s, t) in Self.cases.enumerated() {
            let x = Operands(t, seed: UInt64(400 + s))
            let native = run(.avx512bf16, t, x), scalar = run(.scalar, t, x)
            identical = identical && native == scalar
            for (index, r) in reference(t, x, rounded: true).enumerated() {
                let diff = abs(Double(element(native, t, index)) - Double(element(scalar, t, index)))
                XCTAssertLessThanOrEqual(diff, 2e-6 * Double(max(t.k, 1)).squareRoot() * r.magnitude + 1e-30, "\(t) element \(index)")
            }
        }
        print("AVX512_BF16 tile \(identical ? "bit-identical to" : "within rounding of") the scalar kernel on this CPU")
    }

    func testThreadedProduct_equalsOneThread_bitForBit() {
        let t = Case(transposeA: false, transposeB: true, m: 100, n: 300, k: 260, beta: 1)
        let x = Operands(t, seed: 9)
        let whole = run(.scalar, t, x)
        for (label, rowsTall) in [("column blocks", false), ("row blocks", true)] {
            // A tall product is cut into row blocks, a wide one into column blocks.
            let u = rowsTall ? Case(transposeA: false, transposeB: true, m: 300, n: 100, k: 260, beta: 1) : t
            let y = rowsTall ? Operands(u, seed: 10) : x
            let expected = rowsTall ? run(.scalar, u, y) : whole
            let compute = ComputePool(threads: 3)
            var c = y.c
            y.a.withUnsafeBufferPointer { a in
                y.b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { cp in
                        matrixProduct(.bfloat16(.scalar), transposeA: false, transposeB: true, m: u.m, n: u.n, k: u.k,
                                      a: a.baseAddress!, lda: u.lda, b: b.baseAddress!, ldb: u.ldb,
                                      beta: 1, c: cp.baseAddress!, ldc: u.ldc, compute: compute)
                    }
                }
            }
            _ = ComputePool(threads: 1)
            XCTAssertEqual(c, expected, label)
        }
    }

    func testRounding_matchesSwiftConversion_tiesToEven_specialValues() {
        var rng = SeededRNG(seed: 5)
        for _ in 0..<20_000 {
            let x = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            let c = qcs_bf16_from_float(x), swift = HalfPrecision.bfloat16(from: x)
            XCTAssertEqual(c, swift, "\(x) bits \(String(x.bitPattern, radix: 16))")
        }
        XCTAssertEqual(qcs_bf16_from_float(Float(bitPattern: 0x3F80_8000)), 0x3F80, "tie rounds down to even")
        XCTAssertEqual(qcs_bf16_from_float(Float(bitPattern: 0x3F81_8000)), 0x3F82, "tie rounds up to even")
        XCTAssertEqual(qcs_bf16_from_float(.greatestFiniteMagnitude), 0x7F80, "past the largest bfloat16: infinity")
        XCTAssertEqual(qcs_bf16_from_float(-.infinity), 0xFF80)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16: qcs_bf16_from_float(.nan)).isNaN)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16: qcs_bf16_from_float(Float(bitPattern: 0x7F80_0001))).isNaN,
                      "a NaN whose payload sits in the dropped bits stays NaN")
    }

    func testBestKernel_followsCPUFlags_andOnlyNativeIsSilent() {
        XCTAssertEqual(BFloat16Kernel.best(cpuFlags: ["avx2", "fma", "avx512f", "avx512_bf16"]), .avx512bf16)
        XCTAssertEqual(BFloat16Kernel.best(cpuFlags: ["avx2", "fma", "avx512f"]), .avx2)
        XCTAssertEqual(BFloat16Kernel.best(cpuFlags: []), .scalar)
        XCTAssertNil(BFloat16Kernel.fallbackNotice(.avx512bf16, cpuFlags: []))
        let notice = BFloat16Kernel.fallbackNotice(.avx2, cpuFlags: ["avx2"]) ?? ""
        XCTAssertTrue(notice.contains("no AVX512_BF16") && notice.contains("AVX2 emulation") && notice.contains("--precision fp32"), notice)
    }
}
