import Autograd
import Distributed
import Foundation
import Optim
import QCS
import Trainer

/// `qcs bench compress` under mpirun: every gradient compressor on the model's real bucket
/// layout, on whatever links join the ranks (scripts/bench compress runs it between two
/// namespace hosts at 1 and 10 Gbit/s).
///   timeline: one real forward + backward on this rank's share of the batch, recording when
///             each bucket's gradients became final (rank 0's, sent to all);
///   per compressor: bytes on the wire per pass against float32; the exchange alone (every
///             bucket ready at once: wall time and the compressor's own arithmetic); and the
///             exchange replayed against the recorded backward, buckets released when they
///             became ready, for the part not hidden behind backward.
/// The replay sleeps where backward computed, so here the exchange has the cores to itself;
/// on a node backward keeps its cores busy and the communication thread takes one.
struct CompressionBenchmark {
    let config: QCSConfig
    let batchPerRank: Int
    let repeats: Int
    let compute: ComputePool
    let communicator: Communicator
    let bucketBytes: Int

    struct Timeline {
        var forwardSeconds: Double
        var backwardSeconds: Double
        /// Seconds after backward started at which each bucket's last gradient was final.
        var bucketReady: [Double]
        /// This rank's gradient from that backward: what every measured pass sends.
        var gradient: [Float]
    }

    struct Result {
        var name: String
        var bytesPerPass: Int, fullPrecisionBytes: Int
        /// Slowest rank's median over the timed passes.
        var wallSeconds: Double, computeSeconds: Double
        /// The replay: exchange not hidden behind backward, and the exchange's whole duration.
        var exposedSeconds: Double, replayCommunicationSeconds: Double

        var ratio: Double { Double(fullPrecisionBytes) / Double(max(bytesPerPass, 1)) }
    }

    /// Records a backward of the model on random images (collective: rank 0's timeline for all).
    func timeline(model: QCSModel, store: ParameterStore, plan: GradientBucketPlan) throws -> Timeline {
        let recorder = ReadinessRecorder(store: store, plan: plan)
        let step = SAMTrainingStep(model: model, store: store, optimizer: SGD(count: store.values.count), rho: nil,
                                   compute: compute, synchronizer: recorder)
        var rng = SeededRNG(seed: 3 + UInt64(communicator.rank))
        let s = config.imageSize, n = batchPerRank
        func images() -> Tensor { Tensor(shape: [n, 3, s, s]) { rng.uniform(-2, 2) } }
        let batch = QuadrupletBatch(anchor: images(), positive: images(), negative: images(), negative2: images(),
                                    labels: (0..<n).map { $0 % config.numClasses },
                                    negativeLabels: (0..<n).map { ($0 + 1) % config.numClasses }, positions: Array(0..<n))
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try step.computeGradients([batch], dropoutKey: 1)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var figures = [total - recorder.backwardSeconds, recorder.backwardSeconds] + recorder.ready
        try communicator.broadcast(&figures, root: 0)
        return Timeline(forwardSeconds: figures[0], backwardSeconds: figures[1], bucketReady: Array(figures[2...]),
                        gradient: store.gradients.array)
    }

    /// The measurements of one compressor (collective).
    func measure(_ name: String, _ sum: BucketSum, store: ParameterStore, timeline: Timeline) throws -> Result {
        let exchange = try BucketedGradientExchange(communicator: communicator, store: store, bucketBytes: bucketBytes,
                                                    bucketSum: sum)
        let order = bucketParameters(exchange.plan, store.layout)
        let g = store.gradients
        // The recorded real gradient every pass (the exchange overwrites it with the sum).
        func fill() { timeline.gradient.withUnsafeBufferPointer { g.data.update(from: $0.baseAddress!, count: g.count) } }
        func slowest(_ x: Double) throws -> Double {
            var v = [x]
            try communicator.allreduce(&v, .max)
            return v[0]
        }
        var report = ExchangeReport(globalSamples: 0)
        func pass(replay: Timeline?) throws -> Double {
            fill()
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try exchange.beginPass(localSamples: 1)
            for (b, parameters) in order.enumerated() {
                if let replay {
                    let due = start + UInt64(replay.bucketReady[b] * 1e9), now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32(min((due - now) / 1000, UInt64(UInt32.max)))) }
                }
                for p in parameters { exchange.gradientIsFinal(p) }
            }
            if let replay {
                let due = start + UInt64(replay.backwardSeconds * 1e9), now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32(min((due - now) / 1000, UInt64(UInt32.max)))) }
            }
            report = try exchange.finish()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = try pass(replay: nil)
        sum.resetComputeSeconds()
        var walls: [Double] = []
        for _ in 0..<repeats { walls.append(try slowest(try pass(replay: nil))) }
        let computeSeconds = try slowest(sum.computeSeconds / Double(repeats))
        let bytes = report.bytesSent, full = report.fullPrecisionBytes
        _ = try pass(replay: timeline)
        return Result(name: name, bytesPerPass: bytes, fullPrecisionBytes: full, wallSeconds: walls.sorted()[walls.count / 2],
                      computeSeconds: computeSeconds, exposedSeconds: try slowest(report.exposedSeconds),
                      replayCommunicationSeconds: try slowest(report.communicationSeconds))
    }

    /// Each bucket's parameters, in launch order (the exchange launches bucket 0 first).
    private func bucketParameters(_ plan: GradientBucketPlan, _ layout: ParameterLayout) -> [[Parameter]] {
        var byBucket = [[Parameter]](repeating: [], count: plan.buckets.count)
        for p in layout.parameters.reversed() where p.count > 0 { byBucket[plan.bucket(of: p)].append(p) }
        return byBucket
    }
}

/// A world-of-one synchronizer that notes when each bucket's gradients became final.
private final class ReadinessRecorder: GradientSynchronizer {
    private let plan: GradientBucketPlan
    private let averaging: LocalGradientAveraging
    private var start: UInt64 = 0
    private(set) var ready: [Double]
    private(set) var backwardSeconds = 0.0

    init(store: ParameterStore, plan: GradientBucketPlan) {
        self.plan = plan
        averaging = LocalGradientAveraging(store: store)
        ready = [Double](repeating: 0, count: plan.buckets.count)
    }

    func beginPass(localSamples: Int, stream: Int, step: Int) throws {
        start = DispatchTime.now().uptimeNanoseconds
        try averaging.beginPass(localSamples: localSamples, stream: stream, step: step)
    }

    func gradientIsFinal(_ parameter: Parameter) {
        guard parameter.count > 0 else { return }
        let b = plan.bucket(of: parameter)
        ready[b] = max(ready[b], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    func finish() throws -> ExchangeReport {
        backwardSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return try averaging.finish()
    }
}
