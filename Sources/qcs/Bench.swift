import ArgumentParser
import Autograd
import CBLAS
import Distributed
import Foundation
import QCS

/// `qcs bench MODE`: one subcommand per measurement, each with its own options; the work lives in
/// `BenchSettings` (what every mode reads) and its extensions, one per mode.
extension QCSCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure qcs against this machine's limits and, optionally, against PyTorch.",
            discussion: """
            The last line of each is machine-readable: `summary: key=value ...`. scripts/bench runs each mode \
            twice (OPENBLAS_CORETYPE=Haswell and unset) and adds `scripts/bench e2e`, qcs train against PyTorch \
            DDP; docs/BENCHMARKS.md has the figures and the commands that made them.
            """,
            subcommands: [Engine.self, Model.self, Data.self, Dist.self, Compress.self])
    }
}

/// The options every benchmark takes.
struct BenchCommonOptions: ParsableArguments {
    @Option(help: "Images (engine) or quadruplets (model, dist, compress) per batch; the paper trains with 24.")
    var batch = 24

    @Option(help: "Timed repetitions per case (the median is reported, after one warm-up).")
    var repeats = 3

    @Option(help: "Compute threads (default: QCS_THREADS, OMP_NUM_THREADS, else all cores).")
    var threads: Int?

    @Option(help: "Model size: \(QCSConfig.presets.keys.sorted().joined(separator: ", ")).")
    var preset = "paper"

    @Option(help: "A Python interpreter with PyTorch: also run the same work in PyTorch (engine, model).")
    var torch: String?

    @Option(help: ArgumentHelp("bf16: also time the bfloat16 arithmetic of `--precision bf16` (engine: its GEMM "
                               + "ceiling, each 3x3 conv as bfloat16 GEMMs against float32 Winograd, the ViT block; "
                               + "model: the bf16 step beside the fp32 one, and PyTorch's bf16 autocast with --torch).",
                               valueName: "fp32|bf16"))
    var precision = ArithmeticPrecision.fp32

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
        guard repeats > 0 else { throw ValidationError("--repeats must be at least 1") }
        try ThreadCount.validate(threads)
        guard QCSConfig.presets[preset] != nil else {
            throw ValidationError("unknown --preset \(preset); choose one of \(QCSConfig.presets.keys.sorted())")
        }
    }
}

extension QCSCommand.Bench {
    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "sgemm GFLOP/s (the ceiling), and the IR-50 3x3 convs and one ViT block as ratios to it.",
            discussion: """
            Forward+backward GFLOP/s of the IR-50 3x3 convs (64x56x56, 128x28x28, 256x14x14) and of one ViT \
            block (148 tokens x 768, 8 heads), each as a ratio to sgemm; with --torch, the same shapes in PyTorch.
            """)
        @OptionGroup var common: BenchCommonOptions
        func run() throws { try BenchSettings(common, mode: .engine).run() }
    }

    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One full training step (SAM around Adam) of the --preset model: s/step, quadruplets/s, memory.",
            discussion: """
            Seconds per step, quadruplets/s, GFLOP/s and peak memory on a batch of random quadruplets; with \
            --torch, the same step in PyTorch eager and through torch.compile (our reference model; \
            the compiled step's first run, which compiles, is not timed).
            """)
        @OptionGroup var common: BenchCommonOptions
        @Flag(help: "Also print where the step's time goes, op by op (forward and backward seconds summed over the timed steps).")
        var profile = false
        func run() throws {
            var settings = BenchSettings(common, mode: .model)
            settings.profile = profile
            try settings.run()
        }
    }

    struct Data: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Images/s of decode + augment through the background loader, against what a step consumes.",
            discussion: """
            RAF-DB: 100x100 JPEG files, FERPlus: 48x48 grey in memory; training recipes at --size (224), with --threads \
            loader threads, against the 4 x batch images a training step of --step-seconds consumes.
            """)
        @OptionGroup var common: BenchCommonOptions
        @Option(help: "Seconds of one training step to compare against (from `qcs bench model`; default: batch at \(Int(BenchSettings.assumedQuadrupletsPerSecond)) quadruplet/s, a deliberately fast step).")
        var stepSeconds: Double?
        @Option(help: ArgumentHelp("Side of the augmented images (the config's model.image_size: 224 for the paper's recipes, "
                                   + "48 for Configs/synthetic.yaml).", valueName: "pixels"))
        var size = 224
        func validate() throws {
            if let stepSeconds, !(stepSeconds > 0) { throw ValidationError("--step-seconds must be positive") }
            guard (8...1024).contains(size) else { throw ValidationError("--size must be between 8 and 1024 pixels, got \(size)") }
        }
        func run() throws {
            var settings = BenchSettings(common, mode: .data)
            settings.stepSeconds = stepSeconds
            settings.imageSize = size
            try settings.run()
        }
    }

    struct Dist: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Under mpirun: the bucketed gradient exchange, one SAM step shared over the ranks, checkpoints.",
            discussion: """
            The paper model's gradients through the bucketed exchange against one raw MPI_Allreduce of the same \
            bytes, as bus bandwidth; one SAM step of the global --batch shared over the ranks, per rank and in \
            exact mode (sync_batch_statistics), with the share of exchange time hidden behind backward and peak \
            memory per rank. With --one-rank-seconds (a 1-rank `qcs bench dist` step) it prints the speed-up over \
            one rank. scripts/bench dist runs it.
            """)
        @OptionGroup var common: BenchCommonOptions
        @Option(help: "Seconds per step of the same global batch on one rank, for the speed-up.")
        var oneRankSeconds: Double?
        @Option(help: "Gradient bucket capacity in MiB.")
        var bucketMB = 25.0
        @Option(help: ArgumentHelp("Where the checkpoint benchmark writes (a scratch folder is made and removed there); "
                                   + "use the file system your runs write to.", valueName: "dir"))
        var checkpointDirectory = NSTemporaryDirectory()
        @Flag(help: "Measure the exchange only, not the training steps.")
        var exchangeOnly = false
        @Flag(help: "Also time the step with distributed.debug: check (each collective compared across ranks first).")
        var debugCheck = false
        func run() throws {
            var settings = BenchSettings(common, mode: .dist)
            settings.oneRankSeconds = oneRankSeconds
            settings.bucketMB = bucketMB
            settings.checkpointDirectory = checkpointDirectory
            settings.exchangeOnly = exchangeOnly
            settings.debugCheck = debugCheck
            try settings.run()
        }
    }

    struct Compress: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Under mpirun: every gradient compressor on the --preset model's buckets, and a projection.",
            discussion: """
            Bytes per pass against float32, the exchange's wall time and its compression arithmetic, and the \
            exchange replayed against a recorded backward (buckets released when they became ready) for the part \
            not hidden. Then a projection to 8 nodes of 64 cores at global batch --batch: compute from this \
            machine's per-core rate, exchange from the measured wire time scaled by the ring's bytes per rank at \
            8 ranks, exposed = what outlasts backward after its first bucket. scripts/bench compress runs it \
            between two namespace hosts at 1 and 10 Gbit/s.
            """)
        @OptionGroup var common: BenchCommonOptions
        func run() throws { try BenchSettings(common, mode: .compress).run() }
    }
}

/// What a benchmark run reads: the common options and its mode's own.
struct BenchSettings {
    enum Mode: String { case engine, model, data, dist, compress }

    var mode: Mode
    var batch: Int, repeats: Int, threads: Int?, preset: String, torch: String?
    var precision: ArithmeticPrecision
    var stepSeconds: Double?
    var imageSize = 224
    var oneRankSeconds: Double?
    var bucketMB = 25.0
    var checkpointDirectory = NSTemporaryDirectory()
    var exchangeOnly = false
    var debugCheck = false
    var profile = false

    init(_ common: BenchCommonOptions, mode: Mode) {
        self.mode = mode
        batch = common.batch; repeats = common.repeats; threads = common.threads; preset = common.preset
        torch = common.torch
        precision = common.precision
    }

    /// The step speed `data` assumes without --step-seconds. PyTorch runs a step without SAM
    /// at 0.72 quadruplets/s on the development machine (measured 2026-12-01 on a Zen 4 machine), so about
    /// 0.36 with SAM's two passes; assuming 1 quadruplet/s errs on the demanding side.
    static let assumedQuadrupletsPerSecond = 1.0

    func run() throws {
        if mode == .dist { return try runDistributed() }
        if mode == .compress { return try runCompression() }
        let compute = ComputePool(threads: threads, options: try EngineEnvironment.options())
        let core = BLASKernels.name
        if let warning = BLASKernels.warning { print("warning: \(warning)") }
        print("qcs bench \(mode.rawValue): batch \(batch), \(compute.threads) threads, OpenBLAS kernels \(core), "
              + "OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)"), "
              + "precision \(precision.rawValue)\(precision == .bf16 ? " (\(BFloat16Kernel.best))" : "")")
        if let notice = precision.notice { print("warning: \(notice)") }
        switch mode {
        case .engine: try runEngine(compute)
        case .model: try runModel(compute)
        case .data: try runData(threads: compute.threads)
        case .dist, .compress: break
        }
    }

    func peerArguments(_ threads: Int) -> [String] {
        ["--batch", "\(batch)", "--repeats", "\(repeats)", "--threads", "\(threads)"]
    }

    private func runData(threads: Int) throws {
        let bench = DataBenchmark(imageCount: 300, threads: threads, batch: batch, outputSize: imageSize)
        let step = stepSeconds ?? Double(batch) / Self.assumedQuadrupletsPerSecond
        let demand = 4 * Double(batch) / step
        print(String(format: "training step: %.2f s for %d quadruplets = %.1f images/s to feed (%@)", step, batch,
                     demand, stepSeconds == nil ? "assumed; pass --step-seconds from `qcs bench model`" : "--step-seconds"))
        let cores = min(threads, ProcessInfo.processInfo.activeProcessorCount)
        var rates: [Double] = [], cpuRates: [Double] = []
        for result in try bench.rafdb() + bench.ferplus() {
            rates.append(result.imagesPerSecond)
            cpuRates.append(result.imagesPerCPUSecond)
            print(result.name.padding(toLength: 52, withPad: " ", startingAt: 0)
                  + String(format: "%8.0f images/s  %6.0f images/s per core (%d)  %6.0f images per CPU-second  "
                           + "%6.1fx the step's demand  (%d images in %.2f s)",
                           result.imagesPerSecond, result.imagesPerSecond / Double(cores), cores,
                           result.imagesPerCPUSecond, result.imagesPerSecond / demand, result.images, result.seconds))
        }
        // Training runs with the cache (train.image_cache_mib): the cached rates are the loader's.
        let ratio = min(rates[1], rates[3]) / demand
        // What the loader takes from training when both share the cores.
        print(String(format: "at the step's demand the loader needs %.1f%% of one core for the costlier set "
                     + "(target: loader >= 5x demand: %@)",
                     100 * demand / min(cpuRates[1], cpuRates[3]), ratio >= 5 ? "met" : "NOT met"))
        print("summary: rafdb_images_per_s=\(fmt(rates[0])) rafdb_cached_images_per_s=\(fmt(rates[1])) "
              + "ferplus_images_per_s=\(fmt(rates[2])) ferplus_cached_images_per_s=\(fmt(rates[3])) "
              + "rafdb_cached_images_per_cpu_s=\(fmt(cpuRates[1])) vs_step_demand=\(fmt(ratio))")
    }

    private func runDistributed() throws {
        let world = try ProcessWorld(concurrentThreads: true)
        let comm = world.communicator
        let compute = ComputePool(threads: threads ?? ComputePool.defaultThreadCount(ranksOnNode: comm.localSize),
                                  options: try EngineEnvironment.options())
        let say: (String) -> Void = { if comm.isLeader { print($0); fflush(stdout) } }
        let core = BLASKernels.name
        if let warning = BLASKernels.warning { say("warning: \(warning)") }
        say("qcs bench dist: \(comm.size) rank\(comm.size == 1 ? "" : "s") (\(comm.localSize) on rank 0's node) x "
            + "\(compute.threads) threads, global batch \(batch), preset \(preset), buckets \(bucketMB) MiB, "
            + "OpenBLAS kernels \(core), OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)")")
        let bench = DistributedBenchmark(config: QCSConfig.presets[preset]!, globalBatch: batch, repeats: repeats,
                                         compute: compute, communicator: comm,
                                         bucketBytes: max(4, Int(bucketMB * 1_048_576)))
        var summary: [String] = []
        if comm.size > 1 {
            let e = try bench.exchange()
            say(String(format: "exchange of %.0f MiB of gradients: raw MPI_Allreduce %.1f ms = %.2f GB/s bus; "
                       + "bucketed (%d buckets, communication thread) %.1f ms = %.2f GB/s bus: %.2f of raw",
                       Double(e.bytes) / 1_048_576, e.rawSeconds * 1000, e.rawBusGBps, e.buckets,
                       e.bucketedSeconds * 1000, e.bucketedBusGBps, e.bucketedBusGBps / e.rawBusGBps))
            summary.append("exchange_vs_mpi=\(fmt(e.bucketedBusGBps / e.rawBusGBps))")
            let latency = try bench.smallAllreduceMicroseconds()
            say(String(format: "small allreduce (64 doubles, as exact mode sends): %.1f µs", latency))
            summary.append("small_allreduce_us=\(fmt(latency))")
        }
        if exchangeOnly {
            say("summary: " + summary.joined(separator: " "))
            return try world.finish()
        }
        var saved: DistributedBenchmark.Checkpoint?
        let local = try bench.step(exact: false) { store, optimizer in
            saved = try bench.checkpoint(store: store, optimizer: optimizer, directory: checkpointDirectory)
        }
        var rss = [peakResidentMiB()]
        try comm.allreduce(&rss, .max)
        say(String(format: "step (statistics per rank): %.2f s, %.3f quadruplets/s; exchange %.1f%% hidden behind "
                   + "backward (%.3f s exposed per step); peak RSS %.0f MiB per rank (largest)",
                   local.seconds, local.quadrupletsPerSecond, local.hiddenShare * 100, local.exposedSeconds, rss[0]))
        summary.append("seconds_per_step=\(fmt(local.seconds))")
        if let c = saved {
            let mb = Double(c.rawBytes) / 1e6
            say(String(format: "checkpoint (parameters, statistics, Adam moments) in %@: %.0f MB of values, %.0f MB on disk "
                       + "(%.2fx); write %.2f s = %.0f MB/s, %.1f%% of a step; read back whole on every rank "
                       + "(%@ page cache) %.2f s = %.0f MB/s per rank", checkpointDirectory, mb,
                       Double(c.diskBytes) / 1e6, Double(c.rawBytes) / Double(max(c.diskBytes, 1)), c.writeSeconds,
                       mb / c.writeSeconds, 100 * c.writeSeconds / local.seconds, c.coldReads ? "cold" : "warm",
                       c.readSeconds, mb / c.readSeconds))
            say(String(format: "background save: training held %.3f s (%.2f%% of a step) to copy its part; the save took "
                       + "%.2f s on its own thread", c.holdSeconds, 100 * c.holdSeconds / local.seconds, c.backgroundSeconds))
            summary.append("checkpoint_mb=\(fmt(mb)) checkpoint_write_s=\(fmt(c.writeSeconds)) "
                           + "checkpoint_read_s=\(fmt(c.readSeconds)) checkpoint_share_of_step=\(fmt(c.writeSeconds / local.seconds)) "
                           + "async_stall_share=\(fmt(c.holdSeconds / local.seconds)) async_save_s=\(fmt(c.backgroundSeconds))")
            if let write = c.memorySaveSeconds, let read = c.memoryReadSeconds {
                say(String(format: "in node memory (/dev/shm): snapshot %.2f s; restored whole on every rank in %.2f s = %.2f GB/s "
                           + "per rank, against %.2f s from disk", write, read, Double(c.rawBytes) / read / 1e9, c.readSeconds))
                summary.append("memory_snapshot_s=\(fmt(write)) restore_memory_s=\(fmt(read)) restore_disk_s=\(fmt(c.readSeconds))")
            }
        }
        if comm.size > 1 && debugCheck {
            let checked = DistributedBenchmark(config: bench.config, globalBatch: batch, repeats: repeats, compute: compute,
                                               communicator: CheckedCommunicator(comm, recorder: FlightRecorder()),
                                               bucketBytes: bench.bucketBytes)
            let c = try checked.step(exact: false)
            say(String(format: "step with distributed.debug: check: %.2f s (%.2f%% over the unchecked step)",
                       c.seconds, 100 * (c.seconds / local.seconds - 1)))
            summary.append("debug_check_overhead=\(fmt(c.seconds / local.seconds - 1))")
        }
        if comm.size > 1 {
            summary.append("overlap=\(fmt(local.hiddenShare))")
            let exact = try bench.step(exact: true)
            say(String(format: "step (exact mode, %d batch-wide allreduces per step): %.2f s, %.3f quadruplets/s, "
                       + "%.2fx the per-rank-statistics step", exact.reductionsPerStep, exact.seconds,
                       exact.quadrupletsPerSecond, exact.seconds / local.seconds))
            summary.append("exact_vs_local=\(fmt(exact.seconds / local.seconds))")
            if let oneRankSeconds {
                say(String(format: "%d ranks x %d threads against 1 rank (%.2f s/step): %.2fx quadruplets/s",
                           comm.size, compute.threads, oneRankSeconds, oneRankSeconds / local.seconds))
                summary.append("ranks\(comm.size)_vs_ranks1=\(fmt(oneRankSeconds / local.seconds))")
            }
        }
        summary.append("peak_rss_mib_per_rank=\(Int(rss[0]))")
        say("summary: " + summary.joined(separator: " "))
        try world.finish()
    }

    func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
}
