import Autograd
import CBLAS
import Foundation
import QCS

/// The engine's hot shapes from the paper configuration, timed forward + backward and compared
/// with the machine's sgemm ceiling (and, optionally, PyTorch on the same shapes).
struct EngineBenchmark {
    struct Result {
        let name: String
        let flops: Double
        let seconds: Double
        var gflops: Double { flops / seconds / 1e9 }
    }

    let batch: Int
    let timer: BenchmarkTimer
    let compute: ComputePool

    /// Square GEMMs at n = 1024 and 2048 in `precision`; the better figure is that precision's ceiling.
    func gemmCeiling(_ precision: MatrixPrecision = .float32) -> Result {
        var best: Result?
        for n in [1024, 2048] {
            let a = Tensor(zeros: [n, n]), b = Tensor(zeros: [n, n]), c = Tensor(zeros: [n, n])
            for i in 0..<(n * n) { a.data[i] = Float(i % 7) * 0.1; b.data[i] = Float(i % 5) * 0.1 }
            let t = timer.median {
                matrixProduct(precision, m: n, n: n, k: n, a: a.data, b: b.data, c: c.data, compute: compute)
            }
            let name = precision == .float32 ? "sgemm \(n)³" : "bf16 GEMM \(n)³ (\(BFloat16Kernel.best))"
            let r = Result(name: name, flops: 2 * pow(Double(n), 3), seconds: t)
            if best == nil || r.gflops > best!.gflops { best = r }
        }
        return best!
    }

    /// A 3x3 stride-1 padding-1 convolution C→C at H×W: forward, then backward for input and weight,
    /// in `precision` (in bfloat16, through the kernel `choice` names).
    func conv(channels c: Int, size h: Int, precision: MatrixPrecision = .float32,
              choice: BFloat16ConvChoice = .automatic) -> Result {
        var options = compute.options
        options.bf16Conv = choice
        let graph = Graph(compute: ComputePool(threads: compute.threads, options: options), matrixPrecision: precision)
        var rng = SeededRNG(seed: 1)
        let x = Tensor(shape: [batch, c, h, h]) { rng.uniform(-1, 1) }
        let w = Tensor(shape: [c, c, 3, 3]) { rng.uniform(-0.05, 0.05) }
        let bias = Tensor(zeros: [c])
        let dy = Tensor(shape: [batch, c, h, h]) { rng.uniform(-1, 1) }
        let t = timer.median {
            let xv = graph.input(x, requiresGrad: true)
            let y = xv.conv2d(weight: graph.input(w, requiresGrad: true),
                              bias: graph.input(bias, requiresGrad: true), stride: 1, padding: 1)
            graph.backward(y, seedGradient: dy)
            graph.reset()
        }
        let forward = 2 * Double(batch * c * h * h * c * 9)
        let how = precision == .float32 ? "" : choice == .winograd ? ", fp32 Winograd" : ", bf16 GEMM"
        return Result(name: "conv3x3 \(c)→\(c) @\(h)x\(h)\(how)", flops: 3 * forward, seconds: t)
    }

    /// Paper-size inference (the base path, eval mode) on `batch` random images: seconds per batch.
    func inference(config: QCSConfig, precision: MatrixPrecision) -> Result {
        let (model, store) = QCSModel.build(config, seed: 0)
        store.requiresGrad = false
        let graph = Graph(parameters: store, compute: compute, training: false, matrixPrecision: precision)
        var rng = SeededRNG(seed: 3)
        let s = config.imageSize
        let images = Tensor(shape: [batch, 3, s, s]) { rng.uniform(-2, 2) }
        let t = timer.median {
            _ = model.inferenceLogits(graph.input(images))
            graph.reset()
        }
        let flops = 2 * ModelCost(config: config).inferenceMultiplyAdds * Double(batch)
        return Result(name: "inference \(precision == .float32 ? "fp32" : "bf16") (\(batch) images)", flops: flops, seconds: t)
    }

    /// One pre-norm ViT block (LN → MHSA → residual → LN → MLP(GELU) → residual), tokens × width.
    func vitBlock(tokens t: Int, width d: Int, heads: Int, mlpRatio: Int = 4, precision: MatrixPrecision = .float32) -> Result {
        let graph = Graph(compute: compute, matrixPrecision: precision)
        var rng = SeededRNG(seed: 2)
        func tensor(_ shape: [Int], _ scale: Float) -> Tensor { Tensor(shape: shape) { rng.uniform(-scale, scale) } }
        let x = tensor([batch, t, d], 1)
        let weights: [Tensor] = [
            Tensor(shape: [d], values: [Float](repeating: 1, count: d)), Tensor(zeros: [d]),   // norm1
            tensor([3 * d, d], 0.02), Tensor(zeros: [3 * d]),                                   // qkv
            tensor([d, d], 0.02), Tensor(zeros: [d]),                                           // proj
            Tensor(shape: [d], values: [Float](repeating: 1, count: d)), Tensor(zeros: [d]),   // norm2
            tensor([mlpRatio * d, d], 0.02), Tensor(zeros: [mlpRatio * d]),                     // fc1
            tensor([d, mlpRatio * d], 0.02), Tensor(zeros: [d]),                                // fc2
        ]
        let dy = tensor([batch, t, d], 1)
        let seconds = timer.median {
            let xv = graph.input(x, requiresGrad: true)
            let p = weights.map { graph.input($0, requiresGrad: true) }
            let attn = xv.layerNorm(weight: p[0], bias: p[1], eps: 1e-6)
                .linear(weight: p[2], bias: p[3]).selfAttention(heads: heads)
                .linear(weight: p[4], bias: p[5])
            let h = xv + attn
            let mlp = h.layerNorm(weight: p[6], bias: p[7], eps: 1e-6)
                .linearGELU(weight: p[8], bias: p[9]).linear(weight: p[10], bias: p[11])
            graph.backward(h + mlp, seedGradient: dy)
            graph.reset()
        }
        let rows = Double(batch * t), dd = Double(d)
        let linear = 2 * rows * dd * (3 * dd + dd + 2 * Double(mlpRatio) * dd)
        let attention = 2 * 2 * Double(batch) * Double(t) * Double(t) * dd
        return Result(name: "ViT block \(t) tokens x \(d), \(heads) heads", flops: 3 * (linear + attention),
                      seconds: seconds)
    }

    /// The MLP's first layer and its GELU on `tokens` × `width` → `hidden`, forward and backward
    /// for the input, weight and bias: as `linear` then `gelu`, or as the fused `linearGELU`.
    func linearGELU(tokens t: Int, width d: Int, hidden: Int, fused: Bool) -> Result {
        let graph = Graph(compute: compute)
        var rng = SeededRNG(seed: 3)
        func tensor(_ shape: [Int], _ scale: Float) -> Tensor { Tensor(shape: shape) { rng.uniform(-scale, scale) } }
        let x = tensor([batch, t, d], 1), w = tensor([hidden, d], 0.05), b = tensor([hidden], 0.5)
        let dy = tensor([batch, t, hidden], 1)
        let seconds = timer.median {
            let xv = graph.input(x, requiresGrad: true)
            let (wv, bv) = (graph.input(w, requiresGrad: true), graph.input(b, requiresGrad: true))
            let y = fused ? xv.linearGELU(weight: wv, bias: bv) : xv.linear(weight: wv, bias: bv).gelu()
            graph.backward(y, seedGradient: dy)
            graph.reset()
        }
        return Result(name: "fc1 + GELU \(t) tokens x \(d) → \(hidden)\(fused ? ", fused" : "")",
                      flops: 3 * 2 * Double(batch * t) * Double(d) * Double(hidden), seconds: seconds)
    }
}
