// 2-D convolution over NCHW images. Shapes: x [N, C, H, W], weight [O, C, kh, kw], bias [O],
// y [N, O, Ho, Wo] with Ho = (H + 2p − kh)/s + 1, Wo likewise (floor, as PyTorch).

extension Variable {
    /// Cross-correlation with `weight` plus `bias`, zero padding `padding` on every side.
    /// Runs as Winograd F(4x4, 3x3) for 3x3 stride-1 convs, else as tiled im2col + sgemm
    /// (`ConvKernel`). The workspace comes from the graph's pool and goes back after each pass,
    /// so memory does not grow with the batch.
    public func conv2d(weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0) -> Variable {
        let g = graph
        let geo = ConvGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
        if let bias {
            precondition(bias.shape == [geo.outChannels], "conv2d bias \(bias.shape) for \(geo.outChannels) output channels")
        }
        let kernel = ConvKernel(geo, precision: g.matrixPrecision, options: g.compute.options)
        let out = g.allocate(geo.outputShape)
        g.withScratch(kernel.workspaceCount) { workspace in
            kernel.forward(x: data, weight: weight.data, bias: bias?.data, out: out.data,
                           workspace: workspace, compute: g.compute)
        }
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        let op: StaticString = switch kernel {
        case .winograd: "conv2d (Winograd)"
        case .gemm(let plan): plan.precision == .float32 ? "conv2d (im2col + sgemm)" : "conv2d (im2col + bf16 GEMM)"
        }
        // Backward reads x for dWeight only. A bfloat16 GEMM rounds it anyway; Winograd's dWeight
        // from the rounded x is off by 2⁻⁸ per term, as a bfloat16 GEMM's, for half the memory.
        let compact: BFloat16Tensor? = if g.requiresGrad(weight), g.savesBFloat16 {
            BFloat16Tensor(rounding: value, pool: g.pool, compute: g.compute)
        } else { nil }
        let saved: Tensor? = compact == nil ? value : nil
        let input = handle
        return g.record(out, inputs: inputs, op: op) { g, dy in
            // The image itself needs no gradient: skip the whole dx computation then.
            let dx = g.gradient(for: input)
            let dWeight = g.gradient(for: weight)
            let dBias = bias.flatMap { g.gradient(for: $0) }
            func run(_ x: UnsafePointer<Float>) {
                g.withScratch(kernel.workspaceCount) { workspace in
                    kernel.backward(x: x, weight: weight.data, dOut: dy.data, dx: dx?.data,
                                    dWeight: dWeight?.data, dBias: dBias?.data,
                                    workspace: workspace, compute: g.compute)
                }
            }
            if let compact {
                compact.withWidened(g) { run($0) }
            } else if let saved {
                withExtendedLifetime(saved) { run(saved.data) }
            }
        }
    }
}
