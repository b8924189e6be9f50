import ArgumentParser
import Checkpoint
import Foundation
import Safetensors

extension QCSCommand.CheckpointCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a checkpoint's weights as one safetensors file under official names.",
            discussion: """
            The file holds every parameter and BatchNorm statistic (no optimiser state) under the \\
            official PyTorch state-dict names, with the model configuration in its metadata: \\
            `qcs predict --weights`, `qcs eval --weights`, `qcs train --init-weights` and PyTorch's \\
            load_state_dict (after safetensors.torch.load_file) read it.
              qcs checkpoint export runs/demo --safetensors demo.safetensors
            Exit status: 0 written, 1 the checkpoint is incomplete or corrupt (nothing is written).
            """)

        @Argument(help: ArgumentHelp("A checkpoint directory, or a run directory (its newest checkpoint).", valueName: "dir"))
        var directory: String

        @Option(help: ArgumentHelp("The safetensors file to write.", valueName: "file.safetensors"))
        var safetensors: String

        @Option(help: "Element type of the file: f32, f16 or bf16.")
        var dtype = "f32"

        func run() throws {
            guard let type = SafetensorsDType(rawValue: dtype.uppercased()), [.f32, .f16, .bf16].contains(type) else {
                throw ValidationError("--dtype must be f32, f16 or bf16, not '\(dtype)'")
            }
            let dir = try QCSCommand.CheckpointCommand.resolve(directory)
            let contents = try CheckpointContents(directory: dir)
            // Written beside the target and renamed, so a failed export never leaves a partial file there.
            let partial = safetensors + ".partial"
            let count = try contents.exportSafetensors(to: partial, dtype: type)
            guard rename(partial, safetensors) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: partial)
                throw ValidationError("cannot write \(safetensors): \(reason)")
            }
            print("wrote \(safetensors): \(count) tensors of step \(contents.manifest.step) (\(dir)), \(type.rawValue)")
        }
    }
}
