import BFloat16Kernels
import Foundation

/// The precision a run, an evaluation or a benchmark asks for (`train.precision`, `--precision`).
public enum ArithmeticPrecision: String, Sendable, CaseIterable {
    /// float32 everywhere: the default, and what the PyTorch parity tests pin down.
    case fp32
    /// bfloat16 matrix products with float32 accumulation; weights, gradients, optimiser state,
    /// the exchange and every other op stay float32, as under PyTorch's bfloat16 autocast.
    case bf16

    /// The products on this CPU: bfloat16 runs on the fastest kernel it has.
    public var matrixPrecision: MatrixPrecision {
        self == .fp32 ? .float32 : .bfloat16(BFloat16Kernel.best)
    }

    /// A sentence when this precision runs slower than asked on this CPU (see `BFloat16Kernel.fallbackNotice`).
    public var notice: String? { self == .bf16 ? BFloat16Kernel.fallbackNotice() : nil }
}

/// How the matrix products of a pass (convolutions, linear layers, attention) multiply.
/// Everything else (normalisation statistics, softmax, GELU, distances, the loss) and every
/// stored tensor stay float32 whatever this says; docs/ENGINE.md lists the split and why.
public enum MatrixPrecision: Sendable, Equatable, CustomStringConvertible {
    case float32
    /// Operands rounded to bfloat16, products accumulated in float32, on this kernel.
    case bfloat16(BFloat16Kernel)

    public var description: String {
        switch self {
        case .float32: "float32"
        case .bfloat16(let kernel): "bfloat16 (\(kernel))"
        }
    }
}

/// In bfloat16, which kernel the 3x3 stride-1 convs that Winograd suits take (`ConvKernel`).
public enum BFloat16ConvChoice: String, Sendable, CaseIterable {
    /// float32 Winograd: measured faster than bfloat16 im2col GEMMs on every such shape of the
    /// model, with `vdpbf16ps` too (`ConvKernel.keepsWinograd`).
    case automatic
    case gemm
    case winograd

    /// Whether the convs Winograd suits stay float32 Winograd in bfloat16.
    public var keepsWinograd: Bool {
        self != .gemm
    }
}

/// The code that multiplies bfloat16 operands. All four take the same sums in the same order
/// (scalar and AVX2 agree bit for bit, the others to float32 rounding); they differ in speed.
public enum BFloat16Kernel: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// `vdpbf16ps`: twice the multiply-adds of a float32 FMA per instruction.
    case avx512bf16
    /// bfloat16 widened to float32 and multiplied by FMA units: the same results at about
    /// float32 speed (slower than fp32 overall: the conversions cost and Winograd is not used).
    case avx2
    /// Plain C loops: the reference.
    case scalar
    /// The `avx512bf16` kernel's source on SIMDe's portable intrinsics: tests only.
    case avx512Portable

    public var description: String {
        switch self {
        case .avx512bf16: "AVX512_BF16"
        case .avx2: "AVX2 emulation"
        case .scalar: "scalar emulation"
        case .avx512Portable: "AVX512_BF16 logic on portable intrinsics"
        }
    }

    /// Whether this kernel is faster than float32 arithmetic.
    public var isNative: Bool { self == .avx512bf16 }

    /// This CPU's flags, read once.
    public static let cpuFlags = BLASKernels.cpuFlags()

    /// The fastest kernel this CPU runs.
    public static let best: BFloat16Kernel = best(cpuFlags: cpuFlags)

    static func best(cpuFlags flags: Set<String>) -> BFloat16Kernel {
        #if arch(x86_64)
        if flags.contains("avx512_bf16") && flags.contains("avx512f") { return .avx512bf16 }
        if flags.contains("avx2") && flags.contains("fma") { return .avx2 }
        #endif
        return .scalar
    }

    /// What bf16 mode does on a CPU whose best kernel is `kernel`, for the operator; nil when
    /// it runs at full speed.
    public static func fallbackNotice(_ kernel: BFloat16Kernel = best, cpuFlags: Set<String> = cpuFlags) -> String? {
        guard !kernel.isNative else { return nil }
        let unit = cpuFlags.contains("amx_bf16") ? "AMX-BF16 without AVX512_BF16" : "no AVX512_BF16 (or AMX-BF16)"
        return "this CPU has \(unit): precision bf16 falls back to \(kernel), which rounds operands to bfloat16 "
            + "and sums in float32 as a bf16 CPU does, but runs slower than fp32 here. "
            + "Use --precision fp32 for speed on this machine."
    }

    var cValue: QCSBF16Kernel {
        switch self {
        case .avx512bf16: QCSBF16KernelAVX512BF16
        case .avx2: QCSBF16KernelAVX2
        case .scalar: QCSBF16KernelScalar
        case .avx512Portable: QCSBF16KernelAVX512Portable
        }
    }
}
