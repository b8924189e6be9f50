import Distributed
import Foundation

/// Every rank's recent step times, from the step decisions rank 0 receives, and what is wrong
/// with them: a rank computing much more slowly than the others, a rank that waited long for its
/// data (a stall) or waits for it on a large share of its steps. Each problem is said once when
/// it starts (and once when a slow rank has caught up), not at every step.
struct RankHealth {
    struct Times: Equatable {
        var compute = 0.0, exchange = 0.0, data = 0.0
        var step: Double { compute + exchange + data }
    }

    /// Steps averaged per rank.
    let window: Int
    /// A rank whose compute per step exceeds this many times the other ranks' median is slow.
    static let slowFactor = 1.5
    /// Waiting this long for one batch is a stall.
    static let stallSeconds = 10.0
    /// Waiting for data on more than this share of the step time (over the window).
    static let dataBoundShare = 0.25

    private var recent: [[Times]] = []
    private(set) var slowRank: Int?
    private var dataBound: Set<Int> = []

    init(window: Int = 20) { self.window = window }

    /// Mean times per rank over the window (empty before the first step).
    var means: [Times] {
        recent.map { steps in
            let n = Double(max(steps.count, 1))
            return Times(compute: steps.reduce(0) { $0 + $1.compute } / n, exchange: steps.reduce(0) { $0 + $1.exchange } / n,
                         data: steps.reduce(0) { $0 + $1.data } / n)
        }
    }

    /// Records one step's reports; returns what needs saying.
    mutating func record(_ reports: [RankReport], step: Int) -> [RunMessage] {
        if recent.count != reports.count { recent = Array(repeating: [], count: reports.count); slowRank = nil }
        var messages: [RunMessage] = []
        for (rank, report) in reports.enumerated() {
            recent[rank].append(Times(compute: report.computeSeconds, exchange: report.exchangeSeconds, data: report.dataSeconds))
            if recent[rank].count > window { recent[rank].removeFirst() }
            if report.dataSeconds >= Self.stallSeconds {
                messages.append(RunMessage(.warning, String(format:
                    "warning: rank %d waited %.1f s for its batch at step %d: data loading stalled (a slow or hung "
                    + "file system? train.loader_threads and train.prefetch set how far loading runs ahead)",
                    rank, report.dataSeconds, step)))
            }
        }
        guard recent.allSatisfy({ $0.count == window }) else { return messages }
        let means = self.means
        for (rank, t) in means.enumerated() where t.step > 0 {
            let bound = t.data / t.step > Self.dataBoundShare
            if bound && !dataBound.contains(rank) {
                messages.append(RunMessage(.warning, String(format:
                    "warning: rank %d waits for data %.0f %% of each step (%.3f s of %.3f s over the last %d steps): "
                    + "raise train.loader_threads, or give it more cores", rank, 100 * t.data / t.step, t.data,
                    t.step, window)))
                dataBound.insert(rank)
            } else if !bound {
                dataBound.remove(rank)
            }
        }
        guard means.count > 1 else { return messages }
        let slowest = means.indices.max { means[$0].compute < means[$1].compute }!
        let others = means.indices.filter { $0 != slowest }.map { means[$0].compute }.sorted()
        let median = others[others.count / 2]
        let isSlow = median > 0 && means[slowest].compute > Self.slowFactor * median
        if isSlow && slowRank != slowest {
            messages.append(RunMessage(.warning, String(format:
                "warning: rank %d is slow: %.3f s of compute per step against %.3f s on the other ranks (median, last %d "
                + "steps); every rank waits for it. Another job on its cores? distributed.rank_weights: auto gives it "
                + "less of each batch", slowest, means[slowest].compute, median, window)))
            slowRank = slowest
        } else if !isSlow, let previous = slowRank {
            messages.append(RunMessage(.info, "rank \(previous) has caught up with the others"))
            slowRank = nil
        }
        return messages
    }
}
