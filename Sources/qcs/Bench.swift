import ArgumentParser
import Autograd
import CBLAS
import Foundation

extension QCSCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure qcs against this machine's limits and, optionally, against PyTorch.",
            discussion: """
            Modes:
              engine   sgemm GFLOP/s (the ceiling); forward+backward GFLOP/s of the IR-50 3x3 convs
                       (64x56x56, 128x28x28, 256x14x14) and of one ViT block (148 tokens x 768,
                       8 heads), each as a ratio to sgemm; with --torch, the same shapes in PyTorch.
            The last line is machine-readable: `summary: key=value ...`.
            scripts/bench runs this twice: with OPENBLAS_CORETYPE=Haswell and with it unset.
            """)

        enum Mode: String, ExpressibleByArgument, CaseIterable { case engine }

        @Argument(help: "What to measure: \(Mode.allCases.map(\.rawValue).joined(separator: ", ")).")
        var mode: Mode

        @Option(help: "Images per batch (the paper trains with 24 quadruplets).")
        var batch = 24

        @Option(help: "Timed repetitions per case (the median is reported, after one warm-up).")
        var repeats = 3

        @Option(help: "Compute threads (default: QCS_THREADS, OMP_NUM_THREADS, else all cores).")
        var threads: Int?

        @Option(help: "A Python interpreter with PyTorch: also run the same shapes in PyTorch.")
        var torch: String?

        @Option(help: "The PyTorch side of the benchmark.")
        var torchScript = "scripts/reference/bench_engine_torch.py"

        func validate() throws {
            guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
            guard repeats > 0 else { throw ValidationError("--repeats must be at least 1") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if torch != nil, !FileManager.default.fileExists(atPath: torchScript) {
                throw ValidationError("PyTorch benchmark script not found at \(torchScript); run from the repository root or pass --torch-script")
            }
        }

        func run() throws {
            let compute = ComputePool(threads: threads)
            let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
            print("qcs bench engine: batch \(batch), \(compute.threads) threads, OpenBLAS kernels \(core), "
                  + "OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)")")
            let bench = EngineBenchmark(batch: batch, timer: BenchmarkTimer(repeats: repeats), compute: compute)
            let ceiling = bench.sgemmCeiling()
            print(ceiling.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                  + String(format: "%10.1f GFLOP/s  (the ceiling)", ceiling.gflops))
            var cases: [(key: String, result: EngineBenchmark.Result)] = []
            for (c, h) in [(64, 56), (128, 28), (256, 14)] {
                cases.append(("conv\(c)", bench.conv(channels: c, size: h)))
            }
            cases.append(("vit", bench.vitBlock(tokens: 148, width: 768, heads: 8)))

            let torchTimes = try torch.map { try runTorch(python: $0, threads: compute.threads) }
            var summary = ["sgemm_gflops=\(fmt(ceiling.gflops))"]
            var minConv = Double.infinity, minVsTorch = Double.infinity
            for (key, r) in cases {
                let ratio = r.gflops / ceiling.gflops
                var line = r.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + String(format: "%8.1f ms %8.1f GFLOP/s %5.0f%% of sgemm", r.seconds * 1000, r.gflops, ratio * 100)
                if key.hasPrefix("conv") { minConv = min(minConv, ratio) }
                summary.append("\(key)_vs_sgemm=\(fmt(ratio))")
                if let torchTimes, let t = torchTimes[key] {
                    let speedup = t / r.seconds
                    minVsTorch = min(minVsTorch, speedup)
                    line += String(format: "   PyTorch %8.1f ms, qcs/PyTorch %.2fx", t * 1000, speedup)
                    summary.append("\(key)_vs_torch=\(fmt(speedup))")
                }
                print(line)
            }
            if let torchTimes, let s = torchTimes["sgemm"] {
                print(String(format: "PyTorch sgemm 1024³: %.1f GFLOP/s", 2 * pow(1024.0, 3) / s / 1e9))
            }
            let rss = peakResidentMiB()
            print(String(format: "peak RSS %.0f MiB", rss))
            summary.insert("min_conv_vs_sgemm=\(fmt(minConv))", at: 0)
            if torchTimes != nil { summary.insert("min_vs_torch=\(fmt(minVsTorch))", at: 1) }
            summary.append("peak_rss_mib=\(Int(rss))")
            print("summary: " + summary.joined(separator: " "))
        }

        private func fmt(_ x: Double) -> String { String(format: "%.3f", x) }

        /// Runs the PyTorch script; it prints one JSON object {case key: seconds}.
        private func runTorch(python: String, threads: Int) throws -> [String: Double] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [torchScript, "--batch", "\(batch)", "--repeats", "\(repeats)", "--threads", "\(threads)"]
            let pipe = Pipe()
            process.standardOutput = pipe
            do { try process.run() } catch {
                throw ValidationError("cannot start \(python): \(error.localizedDescription)")
            }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ValidationError("the PyTorch benchmark exited with status \(process.terminationStatus)")
            }
            let lastLine = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            guard let object = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Double] else {
                throw ValidationError("the PyTorch benchmark printed no JSON result: \(lastLine)")
            }
            return object
        }
    }
}
