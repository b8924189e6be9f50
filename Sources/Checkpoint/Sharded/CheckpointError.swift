/// What can be wrong with a sharded checkpoint, always naming the file.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A shard is shorter (or longer) than its manifest says: a write that never finished.
    case shardTruncated(file: String, expectedBytes: Int, foundBytes: Int)
    /// A shard's bytes do not hash to the manifest's SHA-256: changed on disk or in transit.
    case shardChecksumMismatch(file: String, expected: String, found: String)
    /// A frame of a shard does not decompress to its recorded size.
    case frameCorrupt(file: String, frame: Int, reason: String)
    /// A range asked of a shard lies outside what it holds.
    case rangeOutsideShard(file: String, range: Range<Int>, rawBytes: Int)
    /// A directory without `manifest.json`: an unfinished save, or not a checkpoint.
    case manifestMissing(directory: String)
    /// `manifest.json` is there but cannot be used.
    case manifestUnreadable(file: String, reason: String)
    /// The checkpoint's buffers differ from what the model being restored has.
    case buffersDiffer(directory: String, differences: [String])
    /// Some ranks could not write their shards; the checkpoint was not made.
    case saveFailed(directory: String, ranks: [Int], reason: String)
    /// The file system refused a read or write.
    case io(file: String, reason: String)
    /// A path given as a checkpoint leads to none (`CheckpointLocation`).
    case notACheckpoint(path: String, reason: String)
    /// One node's folder of a node-local checkpoint, without the shards kept on other hosts:
    /// each entry names a file and the hosts that hold it.
    case shardsOnOtherHosts(directory: String, shards: [String])

    public var description: String {
        switch self {
        case .shardTruncated(let file, let expected, let found):
            return "\(file): \(found) bytes where the manifest records \(expected): the shard was not completely written; "
                + "use an earlier checkpoint (--resume auto does)"
        case .shardChecksumMismatch(let file, let expected, let found):
            return "\(file): SHA-256 \(found), the manifest records \(expected): the shard changed after it was written; "
                + "use an earlier checkpoint (--resume auto does)"
        case .frameCorrupt(let file, let frame, let reason):
            return "\(file): frame \(frame) is corrupt (\(reason)); use an earlier checkpoint"
        case .rangeOutsideShard(let file, let range, let raw):
            return "\(file): bytes \(range) asked of a shard that holds \(raw)"
        case .manifestMissing(let directory):
            return "\(directory): no manifest.json: the save did not finish, or this is not a checkpoint directory"
        case .manifestUnreadable(let file, let reason):
            return "\(file): \(reason)"
        case .buffersDiffer(let directory, let differences):
            return "\(directory) does not fit this model: " + differences.joined(separator: "; ")
        case .saveFailed(let directory, let ranks, let reason):
            return "checkpoint \(directory) not written: rank\(ranks.count == 1 ? "" : "s") "
                + "\(ranks.map(String.init).joined(separator: ", ")) could not write \(ranks.count == 1 ? "its shard" : "their shards")"
                + (reason.isEmpty ? "" : " (\(reason))") + "; the previous checkpoint is untouched"
        case .io(let file, let reason):
            return "\(file): \(reason)"
        case .notACheckpoint(let path, let reason):
            return "\(path) is not a checkpoint: \(reason)"
        case .shardsOnOtherHosts(let directory, let shards):
            return "\(directory) is one host's part of a node-local checkpoint; kept on other hosts: "
                + shards.joined(separator: ", ") + ". Copy them here from the same step's folder on one of those hosts, "
                + "or let a resume gather them over MPI (qcs train --resume auto); `qcs checkpoint list RUN` shows every copy"
        }
    }
}
