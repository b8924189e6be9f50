import Autograd
import Checkpoint
import DataPipeline
import Distributed
import Foundation
import Optim
import QCS
import Trainer

/// `qcs bench dist` under mpirun: what the ranks cost each other.
///   exchange: the paper model's gradients through our bucketed exchange against one raw
///             allreduce of the same bytes, both as bus bandwidth (the ring convention:
///             2·(N−1)/N·bytes per rank / seconds);
///   step:     one SAM(Adam) step of the global batch shared over the ranks: quadruplets/s,
///             the share of exchange time hidden behind backward, peak memory per rank; and the
///             same step in exact mode (`sync_batch_statistics`), for what its small allreduces cost;
///   checkpoint: that step's whole training state (parameters, statistics, Adam's moments) saved
///             as a sharded checkpoint and read back as a resume reads it; then saved in the
///             background as training does: how long the caller is held (the copy), and the
///             save's own time on its thread.
struct DistributedBenchmark {
    let config: QCSConfig
    let globalBatch: Int
    let repeats: Int
    let compute: ComputePool
    let communicator: Communicator
    let bucketBytes: Int

    struct Exchange {
        var bytes: Int
        var rawSeconds: Double, bucketedSeconds: Double, buckets: Int
        var rawBusGBps: Double, bucketedBusGBps: Double
    }

    /// Median over `repeats` (after a warm-up) of the slowest rank's time for `body`; `prepare`
    /// runs before each, untimed.
    private func timed(prepare: () -> Void = {}, _ body: () throws -> Void) throws -> Double {
        prepare()
        try body()
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            prepare()
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            var t = [Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9]
            try communicator.allreduce(&t, .max)
            times.append(t[0])
        }
        return times.sorted()[times.count / 2]
    }

    func exchange() throws -> Exchange {
        var layout = ParameterLayout()
        _ = QCSModel(config: config, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 1)
        let g = store.gradients
        func fill() { for i in stride(from: 0, to: g.count, by: 1) { g.data[i] = Float(i % 97) * 1e-3 } }
        let raw = try timed(prepare: fill) { try communicator.allreduce(g.buffer, .sum) }
        let exchange = try BucketedGradientExchange(communicator: communicator, store: store, bucketBytes: bucketBytes)
        let reversed = Array(layout.parameters.reversed())
        let bucketed = try timed(prepare: fill) {
            try exchange.beginPass(localSamples: 1)
            for p in reversed { exchange.gradientIsFinal(p) }
            _ = try exchange.finish()
        }
        let n = Double(communicator.size), bytes = g.count * 4
        let bus = { (s: Double) in 2 * (n - 1) / n * Double(bytes) / s / 1e9 }
        return Exchange(bytes: bytes, rawSeconds: raw, bucketedSeconds: bucketed, buckets: exchange.plan.buckets.count,
                        rawBusGBps: bus(raw), bucketedBusGBps: bus(bucketed))
    }

    /// Microseconds per allreduce of `count` doubles (exact mode's messages are 2–1024 values),
    /// the slowest rank's mean over 2000 calls.
    func smallAllreduceMicroseconds(count: Int = 64) throws -> Double {
        var values = [Double](repeating: 1, count: count)
        let calls = 2000
        let seconds = try timed {
            for _ in 0..<calls { try communicator.allreduce(&values, .sum) }
        }
        return seconds / Double(calls) * 1e6
    }

    struct Step {
        var seconds: Double
        var quadrupletsPerSecond: Double
        /// Σ over timed steps of communication seconds and of the part not hidden, on rank 0.
        var hiddenShare: Double
        var exposedSeconds: Double
        var reductionsPerStep: Int
    }

    /// One SAM(Adam) step of `globalBatch` quadruplets shared over the ranks (random images);
    /// `after` gets the trained store and optimiser.
    func step(exact: Bool, after: (ParameterStore, Optimizer) throws -> Void = { _, _ in }) throws -> Step {
        let (model, store) = QCSModel.build(config, seed: 0)
        let synchronizer: GradientSynchronizer = communicator.size > 1
            ? try BucketedGradientExchange(communicator: communicator, store: store, bucketBytes: bucketBytes)
            : LocalGradientAveraging(store: store)
        let step = SAMTrainingStep(model: model, store: store, optimizer: Adam(count: store.values.count), compute: compute,
                                   synchronizer: synchronizer)
        let reduction = exact && communicator.size > 1 ? CommunicatorBatchReduction(communicator: communicator) : nil
        step.graph.batchReduction = reduction
        let share = GlobalBatch.rankRange(count: globalBatch, rank: communicator.rank, worldSize: communicator.size)
        var rng = SeededRNG(seed: 1 + UInt64(communicator.rank))
        let s = config.imageSize
        func images() -> Tensor { Tensor(shape: [share.count, 3, s, s]) { rng.uniform(-2, 2) } }
        let batch = QuadrupletBatch(anchor: images(), positive: images(), negative: images(), negative2: images(),
                                    labels: (0..<share.count).map { $0 % config.numClasses },
                                    negativeLabels: (0..<share.count).map { ($0 + 1) % config.numClasses },
                                    positions: Array(share))
        var communication = 0.0, exposed = 0.0, steps = 0, callsBefore = 0, calls = 0
        let seconds = try timed {
            callsBefore = reduction?.calls ?? 0
            let r = try step.computeGradients([batch], dropoutKey: UInt64(steps))
            try step.applyUpdate(learningRate: 1e-6)
            calls = (reduction?.calls ?? 0) - callsBefore
            if steps > 0 {
                communication += r.communicationSeconds
                exposed += r.exchangeSeconds
            }
            steps += 1
        }
        try after(store, step.optimizer)
        return Step(seconds: seconds, quadrupletsPerSecond: Double(globalBatch) / seconds,
                    hiddenShare: communication > 0 ? 1 - exposed / communication : 0,
                    exposedSeconds: exposed / Double(max(steps - 1, 1)), reductionsPerStep: calls)
    }

    struct Checkpoint {
        var rawBytes: Int, diskBytes: Int
        var writeSeconds: Double, readSeconds: Double
        /// A background save: the caller's hold (copying its part) and the save's time on its thread.
        var holdSeconds: Double, backgroundSeconds: Double
        /// The same save into node memory (/dev/shm) and the restore from there (nil: no /dev/shm).
        var memorySaveSeconds: Double?, memoryReadSeconds: Double?
        /// Whether the page cache was dropped before each read (root only), so reads came from disk.
        var coldReads: Bool
    }

    /// Saves the state of `store` and `optimizer` as a checkpoint in a scratch folder under
    /// `directory` (collective, every rank its shard, fsync'd) and reads it back whole on every
    /// rank, as a resume does; the slowest rank's median of each.
    func checkpoint(store: ParameterStore, optimizer: Optimizer, directory: String) throws -> Checkpoint {
        var tag = [Int64.random(in: 0...Int64.max)]
        try communicator.broadcast(&tag, root: 0)
        let root = directory + "/qcs-bench-checkpoint-\(String(tag[0], radix: 16))"
        defer { if communicator.isLeader { try? FileManager.default.removeItem(atPath: root) } }
        let buffers = TrainingCheckpoint.buffers(store: store, optimizer: optimizer)
        var path = ""
        let write = try timed {
            path = try ShardedCheckpoint.save(buffers, step: 1, metadata: [:], root: root, over: communicator)
        }
        let hosts = try HostMap.gather(HostName.current, over: communicator)
        var cold = true
        let read = try timed(prepare: { cold = Self.dropPageCache() && cold }) {
            try resume(root, tier: .shared, into: buffers, hosts: hosts)
        }
        let manifest = try CheckpointManifest.read(path)
        // The staging memory is made by the warm-up save, as by a run's first.
        let saver = try BackgroundCheckpointSaver(over: communicator)
        let hold = try timed(prepare: { try? saver.wait() }) {
            try saver.save(buffers, tensors: [], step: 1, metadata: [:], root: root + "/background", frameBytes: 4 << 20)
        }
        try saver.wait()
        var memoryWrite: Double?, memoryRead: Double?
        if FileManager.default.fileExists(atPath: "/dev/shm") {
            let memory = "/dev/shm/qcs-bench-\(String(tag[0], radix: 16))"
            defer { if communicator.isLeader { try? FileManager.default.removeItem(atPath: memory) } }
            var snapshot = ""
            memoryWrite = try timed {
                snapshot = memory + "/" + CheckpointManifest.directoryName(step: 1)
                try ShardedCheckpoint.save(buffers, tensors: [], step: 1, metadata: [:],
                                           placement: .shared(snapshot, worldSize: communicator.size), over: communicator,
                                           frameBytes: 4 << 20, level: ShardedCheckpoint.fastLevel)
            }
            memoryRead = try timed { try resume(memory, tier: .memory, into: buffers, hosts: hosts) }
        }
        let times = saver.takeFinished().dropFirst().map(\.seconds).sorted()  // the warm-up's first
        var background = [times.isEmpty ? 0 : times[times.count / 2]]
        try communicator.allreduce(&background, .max)
        return Checkpoint(rawBytes: manifest.shards.reduce(0) { $0 + $1.summary.rawBytes },
                          diskBytes: manifest.shards.reduce(0) { $0 + $1.summary.bytes },
                          writeSeconds: write, readSeconds: read, holdSeconds: hold, backgroundSeconds: background[0],
                          memorySaveSeconds: memoryWrite, memoryReadSeconds: memoryRead, coldReads: cold)
    }

    /// What `--resume auto` does with the checkpoints in `root`: finds them, checks the newest
    /// (each copy once per host) and fills `buffers` whole on every rank.
    private func resume(_ root: String, tier: CheckpointTier, into buffers: [CheckpointBuffer], hosts: HostMap) throws {
        let scan = ReachableCheckpoint.scan(root, tier: tier)
        let choice = try CheckpointAssembly.choose(scan.found, problems: scan.problems, hosts: hosts, over: communicator)
        guard let assembly = choice.assembly else {
            throw CheckpointError.io(file: root, reason: "no checkpoint to restore: " + choice.skipped.joined(separator: "; "))
        }
        try assembly.load(into: buffers, rank: communicator.rank, over: communicator)
    }

    /// Drops clean pages (`/proc/sys/vm/drop_caches`, root only); false when it could not.
    private static func dropPageCache() -> Bool {
        sync()
        return (try? "1\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)) != nil
    }
}
