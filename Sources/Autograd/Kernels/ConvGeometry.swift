/// The sizes of one 2-D convolution over an NCHW batch, and the index arithmetic every conv
/// kernel shares. Legend: N images, C input channels, H×W input size, O output channels,
/// kh×kw kernel, s stride, p zero padding on every side, Ho×Wo output size.
public struct ConvGeometry: Equatable, Sendable {
    public let batch: Int
    public let inChannels: Int
    public let height: Int
    public let width: Int
    public let outChannels: Int
    public let kernelH: Int
    public let kernelW: Int
    public let stride: Int
    public let padding: Int

    /// Ho = (H + 2p − kh)/s + 1 (floor), as PyTorch.
    public var outHeight: Int { (height + 2 * padding - kernelH) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// K = C·kh·kw: the length of one patch, the GEMM's inner dimension.
    public var patchSize: Int { inChannels * kernelH * kernelW }
    /// Ho·Wo: pixels of one output plane.
    public var outPlane: Int { outHeight * outWidth }
    /// H·W: pixels of one input plane.
    public var inPlane: Int { height * width }
    /// A 1x1 stride-1 unpadded conv: each image's column matrix is the image itself.
    public var isPlainMatrixProduct: Bool {
        kernelH == 1 && kernelW == 1 && stride == 1 && padding == 0
    }

    /// - Parameters: input [N, C, H, W], weight [O, C, kh, kw].
    public init(input: [Int], weight: [Int], stride: Int, padding: Int) {
        precondition(input.count == 4, "conv2d input must be NCHW, got \(input)")
        precondition(weight.count == 4, "conv2d weight must be [O, C, kh, kw], got \(weight)")
        precondition(weight[1] == input[1], "conv2d weight \(weight) expects \(weight[1]) channels, input \(input) has \(input[1])")
        precondition(stride >= 1 && padding >= 0, "conv2d stride \(stride) padding \(padding)")
        batch = input[0]; inChannels = input[1]; height = input[2]; width = input[3]
        outChannels = weight[0]; kernelH = weight[2]; kernelW = weight[3]
        self.stride = stride; self.padding = padding
        precondition(height + 2 * padding >= kernelH && width + 2 * padding >= kernelW,
                     "conv2d kernel \(kernelH)x\(kernelW) larger than padded input \(input) (padding \(padding))")
    }

    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// The output indices `o` (of `outCount`) whose input index o·s − p + k falls inside
    /// 0..<inCount; the others read the zero padding.
    @inline(__always)
    func validOutputs(tap k: Int, outCount: Int, inCount: Int) -> Range<Int> {
        // o·s ≥ p − k  and  o·s ≤ inCount − 1 + p − k.
        let low = max(0, ceilDiv(padding - k, stride))
        let high = min(outCount, floorDiv(inCount - 1 + padding - k, stride) + 1)
        if low < high { return low..<high }
        let empty = min(low, outCount)
        return empty..<empty
    }
}

extension ConvGeometry {
    /// dBias[o] += Σ over images and pixels of dOut [N, O, Ho, Wo]. Parallel over channels.
    func addBiasGradient(_ dOut: UnsafePointer<Float>, into dBias: UnsafeMutablePointer<Float>,
                         compute: ComputePool) {
        let (N, O, P) = (batch, outChannels, outPlane)
        compute.parallelFor(O, grain: max(1, 16_384 / max(1, N * P))) { channels in
            for o in channels {
                var sum: Float = 0
                for n in 0..<N {
                    let g = dOut + (n * O + o) * P
                    for p in 0..<P { sum += g[p] }
                }
                dBias[o] += sum
            }
        }
    }
}

@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}

@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int {
    -floorDiv(-a, b)
}
