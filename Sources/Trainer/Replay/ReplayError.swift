/// Why `qcs debug replay` cannot re-run the steps asked for: each says what to do instead.
public enum ReplayError: Error, CustomStringConvertible, Equatable {
    case notATrainingCheckpoint(directory: String, missing: String)
    case rankOutOfRange(rank: Int, worldSize: Int)
    case batchStatisticsAcrossRanks(worldSize: Int)
    case rankWeightsMismatch(String)
    case dataDiffers(root: String, directory: String)
    case dataMissing(root: String, fromCommandLine: Bool)
    case runFinished(directory: String, epochs: Int)

    public var description: String {
        switch self {
        case .notATrainingCheckpoint(let directory, let missing):
            return "\(directory) is not a training checkpoint of qcs train: its manifest has no \(missing)"
        case .rankOutOfRange(let rank, let worldSize):
            return "--rank \(rank) is not a rank of a world of \(worldSize): give 0 to \(worldSize - 1)"
        case .batchStatisticsAcrossRanks(let worldSize):
            return "the run normalises each batch over all \(worldSize) ranks (distributed.sync_batch_statistics: true), "
                + "so one rank's forward needs the others' statistics; replay --world-size 1 computes the whole global "
                + "batch, or --set distributed.sync_batch_statistics=false replays this rank with its own statistics "
                + "(not what the run computed)"
        case .rankWeightsMismatch(let problem):
            return "distributed.rank_weights \(problem): give the run's --world-size, "
                + "or --set distributed.rank_weights=equal"
        case .dataDiffers(let root, let directory):
            return "the training split at \(root) is not the one the run in \(directory) trained on (other images or "
                + "labels): give the run's data set with --data-root"
        case .dataMissing(let root, let fromCommandLine):
            return fromCommandLine ? "--data-root \(root): no such folder"
                : "the run's data set is not at \(root) (its data.root, relative to where it was started): give it with "
                + "--data-root"
        case .runFinished(let directory, let epochs):
            return "\(directory) is the end of the run (all \(epochs) epochs done): there is no step after it to replay; "
                + "take an earlier checkpoint"
        }
    }
}
