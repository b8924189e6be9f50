import Foundation

/// Which fast kernel runs a convolution, chosen once per call from its geometry.
///
/// 3x3 stride-1 convs with at least 16 input channels go through Winograd, F(4x4, 3x3) by default.
/// Measured here (batch 24, forward + backward, against im2col + sgemm): F(2x2, 3x3) was 1.7–1.85x
/// faster on one thread and 1.35–1.65x on two at 64x56x56, 128x28x28 and 256x14x14; 1.3x at 16
/// input channels, even at 8, and 1.9x slower at the 3 channels of an RGB input, where the
/// transforms outweigh the multiplies saved. F(4x4, 3x3), with its transforms on eight tiles per
/// vector, is 1.18–1.46x faster again than F(2x2) on those shapes (best of interleaved runs);
/// `EngineOptions.winogradTile` (`QCS_WINOGRAD_TILE=2`) selects F(2x2), whose fp32 error is ~1e-7
/// relative instead of a few 1e-6. Everything else is im2col + GEMM, in bfloat16 when the pass asks for it
/// (`keepsWinograd` says which convs move from Winograd to bfloat16 GEMMs).
///
/// Buffers as in `ConvGEMM` and `Winograd`.
enum ConvKernel {
    case gemm(ConvGEMM.Plan)
    case winograd(Winograd.Plan)

    /// Fewest input channels for which Winograd is used.
    static let winogradMinChannels = 16

    init(_ geo: ConvGeometry, precision: MatrixPrecision = .float32, options: EngineOptions = EngineOptions()) {
        if Winograd.supports(geo) && geo.inChannels >= ConvKernel.winogradMinChannels
            && ConvKernel.keepsWinograd(precision, choice: options.bf16Conv) {
            self = .winograd(Winograd.Plan(geo, tile: options.winogradTile))
        } else {
            self = .gemm(ConvGEMM.Plan(geo, precision: precision))
        }
    }

    /// Whether the convs Winograd suits stay float32 Winograd in this precision: by default yes.
    /// F(4x4, 3x3) does 4x fewer multiplies, more than the 2x `vdpbf16ps` gains: on a Zen 4
    /// EPYC (2 threads, batch 24, forward + backward) bfloat16 im2col GEMMs ran at 0.72x, 0.56x
    /// and 0.57x Winograd's speed on the 64x56x56, 128x28x28 and 256x14x14 convs, and emulated
    /// bfloat16 (AVX2) at 0.24–0.27x. Strided, 1x1 and RGB convs, which Winograd does not take,
    /// run as bfloat16 GEMMs. `choice` (`EngineOptions.bf16Conv`, `QCS_BF16_CONV=gemm`) overrides
    /// the rule; `qcs bench engine --precision bf16` times both per shape.
    static func keepsWinograd(_ precision: MatrixPrecision, choice: BFloat16ConvChoice) -> Bool {
        guard case .bfloat16 = precision else { return true }
        return choice.keepsWinograd
    }

    var workspaceCount: Int {
        switch self {
        case .gemm(let plan): plan.workspaceCount
        case .winograd(let plan): plan.workspaceCount
        }
    }

    func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 out: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch self {
        case .gemm(let plan):
            ConvGEMM.forward(plan, x: x, weight: weight, bias: bias, out: out, workspace: workspace, compute: compute)
        case .winograd(let plan):
            Winograd.forward(plan, x: x, weight: weight, bias: bias, out: out, workspace: workspace, compute: compute)
        }
    }

    func backward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                  dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
                  dBias: UnsafeMutablePointer<Float>?, workspace: UnsafeMutablePointer<Float>, compute: ComputePool) {
        switch self {
        case .gemm(let plan):
            ConvGEMM.backward(plan, x: x, weight: weight, dOut: dOut, dx: dx, dWeight: dWeight, dBias: dBias,
                              workspace: workspace, compute: compute)
        case .winograd(let plan):
            Winograd.backward(plan, x: x, weight: weight, dOut: dOut, dx: dx, dWeight: dWeight, dBias: dBias,
                              workspace: workspace, compute: compute)
        }
    }
}

extension ConvKernel {
    /// The largest workspace a conv plan's tiling aims for (32 MB); one image may exceed it.
    static let workspaceLimit = 8 << 20

    /// `need` floats rounded up to a power of two, so that convs of similar size share pooled
    /// workspace buffers.
    static func workspaceCount(_ need: Int) -> Int {
        var rounded = 1
        while rounded < need { rounded <<= 1 }
        return rounded
    }
}
