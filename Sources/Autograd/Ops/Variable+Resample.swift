// Integer-stride pixel picking on NCHW images. Shapes: x [N, C, H, W], y [N, C, Ho, Wo] with
// y[n, c, i, j] = x[n, c, s·i, s·j].

extension Variable {
    /// Nearest-neighbour downsampling by an integer factor f: Ho = ⌊H/f⌋, Wo = ⌊W/f⌋, as PyTorch's
    /// `F.interpolate(scale_factor: 1/f, mode: "nearest")` (it keeps pixels (f·i, f·j)).
    public func nearestDownsample(factor: Int) -> Variable {
        precondition(factor >= 1, "nearestDownsample factor \(factor)")
        return stridedPick(stride: factor, outHeight: shape[2] / factor, outWidth: shape[3] / factor)
    }

    /// Every s-th pixel of every s-th row: Ho = ⌈H/s⌉, Wo = ⌈W/s⌉, as PyTorch's
    /// `MaxPool2d(kernel_size: 1, stride: s)` (the IR-50 shortcut when channels do not change).
    public func subsample(stride: Int) -> Variable {
        precondition(stride >= 1, "subsample stride \(stride)")
        return stridedPick(stride: stride, outHeight: (shape[2] + stride - 1) / stride,
                           outWidth: (shape[3] + stride - 1) / stride)
    }

    private func stridedPick(stride s: Int, outHeight Ho: Int, outWidth Wo: Int) -> Variable {
        let g = graph
        precondition(shape.count == 4, "expected NCHW input, got \(shape)")
        let (planes, H, W) = (shape[0] * shape[1], shape[2], shape[3])
        let out = g.allocate([shape[0], shape[1], Ho, Wo])
        StridedGather.gather(data, planes: planes, height: H, width: W, stride: s,
                             outHeight: Ho, outWidth: Wo, into: out.data, compute: g.compute)
        let input = handle  // the gradient only: the data may go
        return g.record(out, inputs: [self]) { g, dy in
            guard let dx = g.gradient(for: input) else { return }
            StridedGather.scatterAdding(dy.data, planes: planes, height: H, width: W, stride: s,
                                        outHeight: Ho, outWidth: Wo, into: dx.data, compute: g.compute)
        }
    }
}
