import Autograd

/// Keeps the ranks' BatchNorm running statistics equal when each rank normalises with its own
/// slice's statistics (`sync_batch_statistics: false`): after each step, every running mean and
/// variance becomes the sample-weighted mean over ranks (Σ_r B_r·s_r / Σ_r B_r; a rank with no
/// samples did not move its statistics and weighs nothing), and every `num_batches_tracked` the
/// largest count. PyTorch DDP broadcasts rank 0's buffers instead; averaging uses every rank's
/// data, and like the broadcast it leaves every replica bit-identical, so any rank's state is the
/// model's state (what checkpoints and resumes at another world size rely on).
public struct RunningStatisticsAverage {
    /// Offsets into the flat buffer of statistics (averaged) and of counters (max).
    private let statistics: [Range<Int>]
    private let counters: [Int]

    public init(layout: ParameterLayout) {
        var statistics: [Range<Int>] = [], counters: [Int] = []
        for b in layout.buffers {
            if b.name.hasSuffix("num_batches_tracked") {
                counters.append(contentsOf: b.offset..<(b.offset + b.count))
            } else {
                statistics.append(b.offset..<(b.offset + b.count))
            }
        }
        self.statistics = statistics
        self.counters = counters
    }

    /// Averages `store`'s buffers over `comm` (collective; two small allreduces).
    public func apply(_ store: ParameterStore, localSamples: Int, globalSamples: Int, over comm: Communicator) throws {
        guard comm.size > 1, globalSamples > 0 else { return }
        let b = store.bufferValues.data
        let weight = Double(localSamples) / Double(globalSamples)
        var values: [Double] = []
        values.reserveCapacity(statistics.reduce(0) { $0 + $1.count })
        for r in statistics { for i in r { values.append(Double(b[i]) * weight) } }
        try comm.allreduce(&values, .sum)
        var k = 0
        for r in statistics { for i in r { b[i] = Float(values[k]); k += 1 } }
        var counts = counters.map { b[$0] }
        try comm.allreduce(&counts, .max)
        for (i, offset) in counters.enumerated() { b[offset] = counts[i] }
    }
}
