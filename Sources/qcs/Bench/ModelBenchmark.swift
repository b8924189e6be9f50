import Autograd
import Foundation
import Optim
import QCS
import Trainer

/// One full training step of the QCS recipe (SAM around Adam, a quadruplet batch) timed at a
/// preset size, reported as quadruplets/s and achieved GFLOP/s.
struct ModelBenchmark {
    let config: QCSConfig
    let batch: Int
    let timer: BenchmarkTimer
    let compute: ComputePool
    var precision = MatrixPrecision.float32

    /// FLOPs of one SAM step: two forward+backward passes, backward ≈ twice the forward.
    var flopsPerStep: Double {
        Double(batch) * ModelCost(config: config).trainingForwardMultiplyAdds * 2 * 3 * 2
    }

    /// With a profiler, times each op of the timed steps (the warm-up step is not counted), and
    /// `regionClock` the time the pool's threads ran side by side.
    func secondsPerStep(profiler: OpProfiler? = nil, regionClock: ParallelRegionClock? = nil) throws -> Double {
        defer { compute.regionClock = nil }
        let (model, store) = QCSModel.build(config, seed: 0)
        let step = SAMTrainingStep(model: model, store: store, optimizer: Adam(count: store.values.count),
                                   compute: compute, precision: precision)
        var rng = SeededRNG(seed: 1)
        let s = config.imageSize
        func images() -> Tensor { Tensor(shape: [batch, 3, s, s]) { rng.uniform(-2, 2) } }
        let quadruplets = QuadrupletBatch(
            anchor: images(), positive: images(), negative: images(), negative2: images(),
            labels: (0..<batch).map { $0 % config.numClasses },
            negativeLabels: (0..<batch).map { ($0 + 1) % config.numClasses })
        var done = 0
        return try timer.median {
            if done > 0, let profiler, step.graph.profiler == nil {
                step.graph.profiler = profiler
                compute.regionClock = regionClock
            }
            let faults = minorPageFaults()
            try step.step(quadruplets, learningRate: 1e-6, dropoutKey: UInt64(done))
            // Memory must stay flat after the warm-up: no new pages, the same pool.
            let pool = step.graph.pool
            print("step \(done)\(done == 0 ? " (warm-up)" : ""): \(minorPageFaults() - faults) page faults, "
                  + "activation pool \(pool.bytesReserved >> 20) MiB reserved, at most \(pool.peakBytesInUse >> 20) MiB in use")
            done += 1
        }
    }
}

func minorPageFaults() -> Int {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_minflt
}
