import ArgumentParser
import Autograd
import Distributed
import Foundation
import QCS
import Trainer

extension BenchSettings {
    /// The compressors `qcs bench compress` compares, each as the trainer builds it, and with zstd on the wire.
    static let compressors: [(DistributedConfig.GradientCompression, zstd: Bool)] =
        [(.none, false), (.fp16, false), (.bf16, false), (.int8, false), (.onebit, false), (.powersgd, false),
         (.fp16, true), (.int8, true), (.onebit, true)]

    /// A projection's cluster: nodes, and cores per node.
    static let projectedNodes = 8, projectedCores = 64

    static func column(_ name: String) -> String { name.padding(toLength: 12, withPad: " ", startingAt: 0) }

    func runCompression() throws {
        let world = try ProcessWorld(concurrentThreads: true)
        let comm = world.communicator
        guard comm.size > 1 else {
            throw ValidationError("bench compress measures an exchange: run it under mpirun with 2 or more ranks "
                                  + "(scripts/bench compress runs it between two namespace hosts)")
        }
        let compute = ComputePool(threads: threads ?? ComputePool.defaultThreadCount(ranksOnNode: comm.localSize),
                                  options: try EngineEnvironment.options())
        let say: (String) -> Void = { if comm.isLeader { print($0); fflush(stdout) } }
        let model = QCSConfig.presets[preset]!
        let perRank = max(1, batch / comm.size)
        let bench = CompressionBenchmark(config: model, batchPerRank: perRank, repeats: repeats, compute: compute,
                                         communicator: comm, bucketBytes: max(4, Int(bucketMB * 1_048_576)))
        let (net, store) = QCSModel.build(model, seed: 0)
        let plan = GradientBucketPlan(layout: store.layout, capBytes: bench.bucketBytes)
        say("qcs bench compress: \(comm.size) ranks (\(comm.localSize) on rank 0's node) x \(compute.threads) threads, "
            + "preset \(preset), \(perRank) quadruplets per rank, \(plan.buckets.count) buckets of \(bucketMB) MiB, "
            + String(format: "%.1fM gradient values (%.0f MB per pass in float32)", Double(store.values.count) / 1e6,
                     Double(store.values.count * 4) / 1e6))
        let t = try bench.timeline(model: net, store: store, plan: plan)
        say(String(format: "timeline (rank 0, this machine): forward %.2f s, backward %.2f s per pass; first bucket "
                   + "ready %.2f s into backward, last %.2f s", t.forwardSeconds, t.backwardSeconds,
                   t.bucketReady.first ?? 0, t.bucketReady.max() ?? 0))
        say("per pass (a SAM step is two):  bytes sent by a rank · vs float32 · exchange alone, wall · its compression "
            + "arithmetic · replayed against backward: exposed / whole exchange")
        var results: [CompressionBenchmark.Result] = []
        for (c, zstd) in Self.compressors {
            var d = DistributedConfig()
            d.gradientCompression = c
            d.blockSize = c == .onebit ? 32 : 256
            d.wireZstd = zstd
            let name = c.rawValue + (zstd ? "+zstd" : "")
            let r = try bench.measure(name, d.makeBucketSum(compute: compute), store: store, timeline: t)
            results.append(r)
            say(String(format: "  %@ %9.2f MB  %6.2fx  %8.1f ms  %8.1f ms  %8.1f ms / %.1f ms", Self.column(name),
                       Double(r.bytesPerPass) / 1e6, r.ratio, 1000 * r.wallSeconds, 1000 * r.computeSeconds,
                       1000 * r.exposedSeconds, 1000 * r.replayCommunicationSeconds))
        }
        let none = results[0]
        let best = results.dropFirst().min { $0.exposedSeconds < $1.exposedSeconds }!
        say(String(format: "per SAM step: float32 %.3f s of exchange exposed, step %.2f s; best %@: %.3f s exposed, "
                   + "step %.2f s (%.1f%% of float32's exposed time)", 2 * none.exposedSeconds,
                   2 * (t.forwardSeconds + t.backwardSeconds + none.exposedSeconds), best.name as NSString,
                   2 * best.exposedSeconds, 2 * (t.forwardSeconds + t.backwardSeconds + best.exposedSeconds),
                   100 * best.exposedSeconds / max(none.exposedSeconds, 1e-9)))

        // Projection to a cluster (see the help text for the model).
        let nodes = Double(Self.projectedNodes), here = Double(comm.size)
        let scale = Double(compute.threads) / Double(Self.projectedCores) * (Double(batch) / nodes) / Double(perRank)
        let ring = (2 * (nodes - 1) / nodes) / (2 * (here - 1) / here)
        let computeThere = (t.forwardSeconds + t.backwardSeconds) * scale
        let window = max(0, t.backwardSeconds - (t.bucketReady.first ?? 0)) * scale
        say(String(format: "projected, %d nodes x %d cores, global batch %d (%.1f quadruplets per node): compute %.3f s "
                   + "per pass (this machine's per-core rate), exchange = wire time here x %.2f (ring bytes at %d vs %d "
                   + "ranks) + compression arithmetic, exposed = what outlasts backward after its first bucket (%.3f s):",
                   Self.projectedNodes, Self.projectedCores, batch, Double(batch) / nodes, computeThere, ring,
                   Self.projectedNodes, comm.size, window))
        var efficiencies: [String] = []
        for r in results {
            let exchange = max(0, r.wallSeconds - r.computeSeconds) * ring + r.computeSeconds
            let exposed = max(0, exchange - window)
            let efficiency = computeThere / (computeThere + exposed)
            efficiencies.append("\(r.name.replacingOccurrences(of: "+", with: "_"))_efficiency8=\(fmt(efficiency))")
            say(String(format: "  %@ exchange %8.1f ms, exposed %8.1f ms, scaling efficiency %5.1f%%", Self.column(r.name),
                       1000 * exchange, 1000 * exposed, 100 * efficiency))
        }
        let adam = 2 * 4 / 1_048_576.0
        let zero1 = Double(EvenSplit.range(count: store.values.count, part: 0, parts: comm.size).count) * adam
        say(String(format: "ZeRO-1: Adam's moments %.0f MiB per rank unsharded, %.0f MiB at %d ranks, %.0f MiB at %d",
                   Double(store.values.count) * adam, zero1, comm.size, Double(store.values.count) * adam / nodes,
                   Self.projectedNodes))
        let ratio = { (name: String) in fmt(results.first { $0.name == name }!.ratio) }
        say("summary: fp16_x=\(ratio("fp16")) bf16_x=\(ratio("bf16")) int8_x=\(ratio("int8")) onebit_x=\(ratio("onebit")) "
            + "powersgd_x=\(ratio("powersgd")) exposed_none_s=\(fmt(none.exposedSeconds)) "
            + "exposed_best_vs_none=\(fmt(best.exposedSeconds / max(none.exposedSeconds, 1e-9))) best=\(best.name) "
            + efficiencies.joined(separator: " ") + " zero1_optimizer_mib_per_rank=\(fmt(zero1))")
        try world.finish()
    }
}
