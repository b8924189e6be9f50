import Autograd

/// One optimiser step's quadruplets across all ranks: a contiguous run of an epoch's plan.
///
/// `quadruplets` keeps the plan's indices, so `quadruplets.indices` (= `positions`) are the
/// global sample positions that key each image's augmentation — the same whichever rank
/// processes it.
public struct GlobalBatch: Sendable, Equatable {
    /// Batch number within the epoch.
    public let index: Int
    public let quadruplets: ArraySlice<Quadruplet>

    /// Positions of its quadruplets in the epoch plan.
    public var positions: Range<Int> { quadruplets.indices }
    public var count: Int { quadruplets.count }

    /// This rank's part: contiguous, near-equal, in rank order, so concatenating every rank's
    /// slice gives the batch back. With B quadruplets over W ranks the first B mod W ranks take
    /// ⌈B/W⌉ and the rest ⌊B/W⌋ (as `numpy.array_split`); when B < W the last ranks get empty
    /// slices. A short batch therefore weighs ranks unequally: average gradients weighted by
    /// each rank's count (or sum and divide by B), not as a plain mean of per-rank means.
    ///
    /// With `weights` (one positive number per rank) the shares follow them instead: faster ranks
    /// take more (`rankRange(count:rank:weights:)`).
    public func slice(rank: Int, worldSize: Int, weights: [Double]? = nil) -> ArraySlice<Quadruplet> {
        let r = weights.map { Self.rankRange(count: count, rank: rank, weights: $0) }
            ?? Self.rankRange(count: count, rank: rank, worldSize: worldSize)
        let first = quadruplets.startIndex
        return quadruplets[(first + r.lowerBound)..<(first + r.upperBound)]
    }

    /// Offsets owned by `rank` when shares follow `weights`, cut by largest remainder (lowest
    /// rank first on ties): the shares add up to B exactly and depend only on (B, weights).
    public static func rankRange(count: Int, rank: Int, weights: [Double]) -> Range<Int> {
        precondition(!weights.isEmpty && rank >= 0 && rank < weights.count && weights.allSatisfy { $0 > 0 },
                     "rank \(rank) with weights \(weights)")
        let shares = LargestRemainder.shares(of: count, weights: weights)
        let start = shares[..<rank].reduce(0, +)
        return start..<(start + shares[rank])
    }

    /// Offsets (within a batch of `count`) owned by `rank` of `worldSize`.
    public static func rankRange(count: Int, rank: Int, worldSize: Int) -> Range<Int> {
        EvenSplit.range(count: count, part: rank, parts: worldSize)
    }
}

extension Array where Element == Quadruplet {
    /// Consecutive global batches of `batchSize`; the last one is shorter unless `dropLast`
    /// (PyTorch's `DataLoader` keeps it by default, so do we).
    public func batches(batchSize: Int, dropLast: Bool = false) throws(SamplingError) -> [GlobalBatch] {
        guard batchSize > 0 else { throw .invalidBatchSize(batchSize) }
        var result: [GlobalBatch] = []
        var start = 0
        while start < count {
            let end = Swift.min(start + batchSize, count)
            if dropLast && end - start < batchSize { break }
            result.append(GlobalBatch(index: result.count, quadruplets: self[start..<end]))
            start = end
        }
        return result
    }
}
