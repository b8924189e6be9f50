import ArgumentParser
import Autograd
import Foundation
import QCS

/// `qcs bench model`: one full SAM(Adam) step of the --preset model; in bf16, beside the fp32 step
/// (run in a child process, so each peak memory is its own), and with --torch against PyTorch in
/// float32 (eager and torch.compile) and under bf16 autocast.
extension BenchSettings {
    func runModel(_ compute: ComputePool) throws {
        let config = QCSConfig.presets[preset]!
        var layout = ParameterLayout()
        let model = QCSModel(config: config, layout: &layout)
        print(String(format: "model %@: %.1fM parameters for inference, %.1fM for training",
                     preset, Double(model.inferenceParameterCount) / 1e6, Double(layout.parameterCount) / 1e6))
        let bench = ModelBenchmark(config: config, batch: batch, timer: BenchmarkTimer(repeats: repeats),
                                   compute: compute, precision: precision.matrixPrecision)
        let profiler = profile ? OpProfiler() : nil, regions = profile ? ParallelRegionClock() : nil
        let seconds = try bench.secondsPerStep(profiler: profiler, regionClock: regions)
        if let profiler { print(profiler.formattedReport()) }
        var serialShare: Double?
        if let regions {
            // The timed steps are `repeats` steps after the warm-up; the median step stands for each.
            let parallel = regions.seconds / Double(repeats), serial = max(0, seconds - parallel)
            serialShare = serial / seconds
            print(String(format: "threads side by side %.2f s of the %.2f s step; one thread alone %.2f s (%.1f%%)%@",
                         parallel, seconds, serial, 100 * serial / seconds,
                         compute.threads == 1 ? " (one thread: every region runs inline)" : ""))
        }
        let rate = Double(batch) / seconds, gflops = bench.flopsPerStep / seconds / 1e9
        let rss = peakResidentMiB()
        let label = precision == .bf16 ? "qcs bf16:" : "qcs:"
        print(line(label, seconds: seconds, gflops: gflops, rss: rss))
        var summary = ["quadruplets_per_s=\(fmt(rate))", "seconds_per_step=\(fmt(seconds))", "gflops=\(fmt(gflops))",
                       "peak_rss_mib=\(Int(rss))"] + (serialShare.map { ["serial_share=\(fmt($0))"] } ?? [])
        var fp32: (seconds: Double, rss: Double)?
        if precision == .bf16 {
            let ceiling = EngineBenchmark(batch: batch, timer: BenchmarkTimer(repeats: 1), compute: compute)
                .gemmCeiling(precision.matrixPrecision)
            print(String(format: "bf16 ceiling (%@): %.1f GFLOP/s; the step reaches %.0f%% of it",
                         ceiling.name, ceiling.gflops, 100 * gflops / ceiling.gflops))
            summary.append("bf16_ceiling_share=\(fmt(gflops / ceiling.gflops))")
            let child = try float32Step(threads: compute.threads)
            fp32 = child
            print(line("qcs fp32:", seconds: child.seconds, gflops: bench.flopsPerStep / child.seconds / 1e9, rss: child.rss))
            print(String(format: "qcs bf16/fp32: %.2fx quadruplets/s, %.2fx memory", child.seconds / seconds, rss / child.rss))
            summary.insert("bf16_vs_fp32=\(fmt(child.seconds / seconds))", at: 0)
        }
        if let torch {
            let script = "scripts/reference/bench_model_torch.py"
            let arguments = peerArguments(compute.threads) + ["--preset", preset]
            let (ours, ourRSS) = fp32 ?? (seconds, rss)
            // Eager, then the same loss through torch.compile: the strongest float32 PyTorch step.
            for (peerName, flags, key) in [("PyTorch", [String](), "torch"), ("PyTorch torch.compile", ["--compile"], "torch_compile")] {
                let peer = try TorchPeer(python: torch, script: script).run(arguments + flags)
                guard let t = peer["step"], let torchRSS = peer["rss_mib"] else { continue }
                print(line("\(peerName):", seconds: t, gflops: bench.flopsPerStep / t / 1e9, rss: torchRSS))
                print(String(format: "qcs/%@ (fp32): %.2fx quadruplets/s, %.2fx memory", peerName, t / ours, ourRSS / torchRSS))
                summary += ["fp32_vs_\(key)=\(fmt(t / ours))", "fp32_rss_vs_\(key)=\(fmt(ourRSS / torchRSS))"]
            }
            if precision == .bf16 {
                let autocast = try TorchPeer(python: torch, script: script).run(arguments + ["--autocast"])
                if let t = autocast["step"], let torchRSS = autocast["rss_mib"] {
                    print(line("PyTorch bf16 autocast:", seconds: t, gflops: bench.flopsPerStep / t / 1e9, rss: torchRSS))
                    print(String(format: "qcs bf16/PyTorch bf16: %.2fx quadruplets/s, %.2fx memory", t / seconds, rss / torchRSS))
                    summary.insert(contentsOf: ["bf16_vs_torch_bf16=\(fmt(t / seconds))", "rss_vs_torch_bf16=\(fmt(rss / torchRSS))"],
                                   at: 0)
                }
            }
        }
        print("summary: " + summary.joined(separator: " "))
    }

    private func line(_ label: String, seconds: Double, gflops: Double, rss: Double) -> String {
        label.padding(toLength: 23, withPad: " ", startingAt: 0)
            + String(format: "%8.2f s/step  %7.3f quadruplets/s  %6.1f GFLOP/s  peak RSS %6.0f MiB",
                     seconds, Double(batch) / seconds, gflops, rss)
    }

    /// The same step in float32, in a child `qcs bench model` (its own peak memory): seconds and MiB.
    private func float32Step(threads: Int) throws -> (seconds: Double, rss: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["bench", "model", "--precision", "fp32", "--preset", preset] + peerArguments(threads)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(separator: "\n").last { $0.hasPrefix("summary: ") }?
            .split(separator: " ").dropFirst().reduce(into: [String: Double]()) { table, pair in
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Double(parts[1]) { table[String(parts[0])] = value }
            } ?? [:]
        guard process.terminationStatus == 0, let s = fields["seconds_per_step"], let rss = fields["peak_rss_mib"] else {
            throw ValidationError("the float32 reference step (qcs bench model --precision fp32) failed:\n\(output)")
        }
        return (s, rss)
    }
}
