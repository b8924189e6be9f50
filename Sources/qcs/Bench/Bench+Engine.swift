import Autograd
import Foundation
import QCS

/// `qcs bench engine`: the GEMM ceilings, the IR-50 3x3 convs and a ViT block as ratios to them,
/// paper-size inference in both precisions, and PyTorch on the same shapes with --torch.
extension BenchSettings {
    func runEngine(_ compute: ComputePool) throws {
        let bench = EngineBenchmark(batch: batch, timer: BenchmarkTimer(repeats: repeats), compute: compute)
        let bf16 = MatrixPrecision.bfloat16(BFloat16Kernel.best)
        let ceiling = bench.gemmCeiling()
        print(row(ceiling.name) + String(format: "%10.1f GFLOP/s  (the ceiling)", ceiling.gflops))
        var summary = ["sgemm_gflops=\(fmt(ceiling.gflops))"]
        var bf16Ceiling = ceiling
        if precision == .bf16 {
            bf16Ceiling = bench.gemmCeiling(bf16)
            print(row(bf16Ceiling.name) + String(format: "%10.1f GFLOP/s  (the bf16 ceiling, %.2fx sgemm)",
                                                 bf16Ceiling.gflops, bf16Ceiling.gflops / ceiling.gflops))
            summary.append("bf16_gemm_gflops=\(fmt(bf16Ceiling.gflops)) bf16_vs_sgemm=\(fmt(bf16Ceiling.gflops / ceiling.gflops))")
        }

        var cases: [(key: String, result: EngineBenchmark.Result)] = Self.convShapes.map { ("conv\($0.0)", bench.conv(channels: $0.0, size: $0.1)) }
        cases.append(("vit", bench.vitBlock(tokens: 148, width: 768, heads: 8)))
        let torchTimes = try torch.map {
            try TorchPeer(python: $0, script: "scripts/reference/bench_engine_torch.py").run(peerArguments(compute.threads))
        }
        var minConv = Double.infinity, minVsTorch = Double.infinity
        for (key, r) in cases {
            let ratio = r.gflops / ceiling.gflops
            var line = row(r.name) + String(format: "%8.1f ms %8.1f GFLOP/s %5.0f%% of sgemm", r.seconds * 1000, r.gflops, ratio * 100)
            if key.hasPrefix("conv") { minConv = min(minConv, ratio) }
            summary.append("\(key)_vs_sgemm=\(fmt(ratio))")
            if let torchTimes, let t = torchTimes[key] {
                minVsTorch = min(minVsTorch, t / r.seconds)
                line += String(format: "   PyTorch %8.1f ms, qcs/PyTorch %.2fx", t * 1000, t / r.seconds)
                summary.append("\(key)_vs_torch=\(fmt(t / r.seconds))")
            }
            print(line)
        }
        let (apart, fused) = (bench.linearGELU(tokens: 148, width: 768, hidden: 3072, fused: false),
                              bench.linearGELU(tokens: 148, width: 768, hidden: 3072, fused: true))
        print(row(fused.name) + String(format: "%8.1f ms %8.1f GFLOP/s; as linear then GELU %.1f ms: %.3fx",
                                       fused.seconds * 1000, fused.gflops, apart.seconds * 1000, apart.seconds / fused.seconds))
        summary.append("fc1_gelu_fused_speedup=\(fmt(apart.seconds / fused.seconds))")
        if let torchTimes, let s = torchTimes["sgemm"] {
            print(String(format: "PyTorch sgemm 1024³: %.1f GFLOP/s (MKL on this CPU)", 2 * pow(1024.0, 3) / s / 1e9))
        }
        summary.insert("min_conv_vs_sgemm=\(fmt(minConv))", at: 0)
        if torchTimes != nil { summary.insert("min_vs_torch=\(fmt(minVsTorch))", at: 1) }
        if precision == .bf16 {
            summary += try bfloat16Cases(bench, bf16: bf16, ceiling: bf16Ceiling, fp32: Dictionary(uniqueKeysWithValues: cases),
                                         threads: compute.threads)
        }
        for p in [MatrixPrecision.float32, bf16] {
            let r = bench.inference(config: .paper, precision: p)
            let rate = Double(batch) / r.seconds
            print(row(r.name) + String(format: "%8.1f ms %8.1f GFLOP/s %8.2f images/s", r.seconds * 1000, r.gflops, rate))
            summary.append("inference_\(p == .float32 ? "fp32" : "bf16")_images_per_s=\(fmt(rate))")
        }
        let rss = peakResidentMiB()
        print(String(format: "peak RSS %.0f MiB", rss))
        summary.append("peak_rss_mib=\(Int(rss))")
        print("summary: " + summary.joined(separator: " "))
    }

    /// Each 3x3 conv as bfloat16 GEMMs against its float32 Winograd time (and which one bf16 mode
    /// takes), the ViT block in bfloat16, and PyTorch's bf16 autocast with --torch.
    private func bfloat16Cases(_ bench: EngineBenchmark, bf16: MatrixPrecision, ceiling: EngineBenchmark.Result,
                               fp32: [String: EngineBenchmark.Result], threads: Int) throws -> [String] {
        guard case .bfloat16 = bf16 else { return [] }
        let autocast = try torch.map {
            try TorchPeer(python: $0, script: "scripts/reference/bench_engine_torch.py")
                .run(peerArguments(threads) + ["--autocast"])
        }
        var summary: [String] = []
        for (c, h) in Self.convShapes {
            let key = "conv\(c)", winograd = fp32[key]!
            let gemm = bench.conv(channels: c, size: h, precision: bf16, choice: .gemm)
            let faster = gemm.seconds < winograd.seconds ? "bf16 GEMM" : "fp32 Winograd"
            let taken = bench.compute.options.bf16Conv.keepsWinograd ? "fp32 Winograd" : "bf16 GEMM"
            var line = row(gemm.name) + String(format: "%8.1f ms %8.1f GFLOP/s %5.0f%% of bf16 GEMM; %.2fx fp32 Winograd: "
                                               + "%@ faster, bf16 mode takes %@",
                                               gemm.seconds * 1000, gemm.gflops, 100 * gemm.gflops / ceiling.gflops,
                                               winograd.seconds / gemm.seconds, faster, taken)
            summary.append("\(key)_bf16_gemm_vs_winograd=\(fmt(winograd.seconds / gemm.seconds))")
            if let autocast, let t = autocast[key] {
                let ours = taken == "bf16 GEMM" ? gemm.seconds : winograd.seconds
                line += String(format: "   PyTorch bf16 %8.1f ms, qcs bf16/PyTorch bf16 %.2fx", t * 1000, t / ours)
                summary.append("\(key)_bf16_vs_torch_bf16=\(fmt(t / ours))")
            }
            print(line)
        }
        let vit = bench.vitBlock(tokens: 148, width: 768, heads: 8, precision: bf16)
        var line = row(vit.name + ", bf16") + String(format: "%8.1f ms %8.1f GFLOP/s %5.0f%% of bf16 GEMM; %.2fx fp32",
                                                     vit.seconds * 1000, vit.gflops, 100 * vit.gflops / ceiling.gflops,
                                                     fp32["vit"]!.seconds / vit.seconds)
        summary.append("vit_bf16_vs_fp32=\(fmt(fp32["vit"]!.seconds / vit.seconds))")
        if let autocast, let t = autocast["vit"] {
            line += String(format: "   PyTorch bf16 %8.1f ms, qcs bf16/PyTorch bf16 %.2fx", t * 1000, t / vit.seconds)
            summary.append("vit_bf16_vs_torch_bf16=\(fmt(t / vit.seconds))")
        }
        print(line)
        if let autocast, let s = autocast["sgemm"] {
            print(String(format: "PyTorch bf16 matmul 1024³: %.1f GFLOP/s", 2 * pow(1024.0, 3) / s / 1e9))
        }
        return summary
    }

    /// The IR-50 3x3 convs timed: (channels, map size).
    static let convShapes = [(64, 56), (128, 28), (256, 14)]

    func row(_ name: String) -> String { name.padding(toLength: 48, withPad: " ", startingAt: 0) }
}
