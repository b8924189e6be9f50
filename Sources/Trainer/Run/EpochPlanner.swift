import DataPipeline
import Distributed

/// Rank 0's half of the coordinator: it draws each epoch's quadruplet plan with the data set's
/// sampling rule and broadcasts it, so every rank cuts its slices from the very same plan even if
/// a node read its list differently (that is caught by `WorldAgreement` first) or a future
/// sampler depends on more than (seed, epoch).
struct EpochPlanner {
    let sampler: QuadrupletSampler
    let communicator: Communicator

    /// The epoch's plan on every rank.
    func plan(epoch: Int) throws -> [Quadruplet] {
        let mine = communicator.isLeader ? sampler.plan(epoch: epoch) : []
        guard communicator.size > 1 else { return mine }
        let encoded = try communicator.broadcastArray(mine.flatMap(Self.encode), root: 0)
        return stride(from: 0, to: encoded.count, by: 6).map { Self.decode(encoded[$0..<($0 + 6)]) }
    }

    static func encode(_ q: Quadruplet) -> [Int64] {
        [q.anchor, q.positive, q.negative, q.negative2, q.anchorClass, q.negativeClass].map(Int64.init)
    }

    static func decode(_ v: ArraySlice<Int64>) -> Quadruplet {
        let f = v.map { Int($0) }
        return Quadruplet(anchor: f[0], positive: f[1], negative: f[2], negative2: f[3], anchorClass: f[4], negativeClass: f[5])
    }
}
