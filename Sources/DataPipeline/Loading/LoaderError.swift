/// Why a loader cannot be built. Failures of single images are not here: they are the codec's
/// `ImageCodecError` (policy `stop`) or a skipped entry in `BadImageHandler` (policy `skip`).
public enum LoaderError: Error, Equatable, CustomStringConvertible {
    /// Thread count or prefetch depth out of range.
    case invalidOptions(String)
    /// This process's rank does not fit the world size.
    case invalidRank(rank: Int, worldSize: Int)
    /// Rank weights must be one positive number per rank.
    case invalidRankWeights([Double], worldSize: Int)
    /// Images per evaluation batch must be positive.
    case invalidBatchSize(Int)
    /// A quadruplet of the plan names an image the sample list does not have: the plan was made
    /// from another list (another split, or a data set read differently on this rank).
    case sampleOutOfRange(planPosition: Int, sample: Int, sampleCount: Int)

    public var description: String {
        switch self {
        case .invalidOptions(let message):
            return "data loader: \(message)"
        case .invalidRank(let rank, let worldSize):
            return "data loader: rank \(rank) is outside a world of \(worldSize) ranks"
        case .invalidRankWeights(let weights, let worldSize):
            return "data loader: rank weights \(weights) must be \(worldSize) positive numbers, one per rank "
                + "(distributed.rank_weights)"
        case .invalidBatchSize(let size):
            return "data loader: batch size \(size) is not positive"
        case .sampleOutOfRange(let position, let sample, let count):
            return "data loader: quadruplet \(position) of the plan uses image \(sample), but the training list has "
                + "\(count) images; the plan and the list must come from the same data set read"
        }
    }
}
