import Foundation

/// Finds the weights file a command was pointed at: `--weights FILE`, or `--checkpoint DIR`
/// meaning the run directory of `qcs train` (which exports `DIR/weights/latest.safetensors`) or
/// that `weights/` directory itself.
public enum WeightsLocation {
    public static let latestFileName = "latest.safetensors"

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
