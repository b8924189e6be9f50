import Checkpoint
import Foundation

/// Finds the weights a command was pointed at: `--weights FILE`, or `--checkpoint DIR` meaning a
/// sharded checkpoint directory, or the run directory of `qcs train` (its exported
/// `weights/latest.safetensors`, else its newest sharded checkpoint), or that `weights/` folder.
public enum WeightsLocation {
    public static let latestFileName = "latest.safetensors"

    public enum Source: Equatable {
        /// A safetensors file with official names.
        case file(String)
        /// A sharded checkpoint directory (`RUN/checkpoints/step-N`).
        case checkpoint(String)
    }

    /// Where the weights are; exactly one of the two arguments is expected. `--checkpoint` may
    /// also name a weights file (what `--weights` takes) or the checkpoints' `latest` pointer.
    public static func source(weights: String?, checkpoint: String?) throws -> Source {
        if weights == nil, let checkpoint {
            let fm = FileManager.default
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: checkpoint, isDirectory: &isDirectory), !isDirectory.boolValue {
                if (checkpoint as NSString).lastPathComponent == "latest" {
                    return .checkpoint(try CheckpointLocation.checkpoint(checkpoint))
                }
                return .file(checkpoint)
            }
            if fm.fileExists(atPath: checkpoint + "/manifest.json") { return .checkpoint(checkpoint) }
            if let file = try? resolve(weights: nil, checkpoint: checkpoint) { return .file(file) }
            if let directory = CheckpointLocation.resolve(checkpoint) { return .checkpoint(directory) }
        }
        return .file(try resolve(weights: weights, checkpoint: checkpoint))
    }

    /// The path of the weights file; exactly one of the two arguments is expected (the CLI
    /// checks that), `weights` wins if both are given.
    public static func resolve(weights: String?, checkpoint: String?) throws -> String {
        let fm = FileManager.default
        if let weights {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: weights, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw InferenceError.weightsNotFound(path: weights)
            }
            return weights
        }
        let directory = checkpoint ?? "."
        let candidates = [
            URL(fileURLWithPath: directory).appendingPathComponent("weights").appendingPathComponent(latestFileName).path,
            URL(fileURLWithPath: directory).appendingPathComponent(latestFileName).path,
        ]
        guard let found = candidates.first(where: { fm.isReadableFile(atPath: $0) }) else {
            throw InferenceError.checkpointWeightsNotFound(directory: directory, looked: candidates)
        }
        return found
    }
}
