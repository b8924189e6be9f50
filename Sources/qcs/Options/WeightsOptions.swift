import ArgumentParser
import Autograd
import Inference
import Trainer

/// Where the model's weights come from: one safetensors file, or the run directory of `qcs train`.
struct WeightsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A safetensors file with official (PyTorch state-dict) names: the whole "
                               + "training model or only its inference part.", valueName: "file.safetensors"))
    var weights: String?

    @Option(help: ArgumentHelp("A sharded checkpoint directory (RUN/checkpoints/step-N), or a run directory of "
                               + "`qcs train` (its weights/latest.safetensors, else its newest checkpoint), or that "
                               + "weights/ folder.", valueName: "dir"))
    var checkpoint: String?

    @Flag(help: "Print the weight-loading report on stderr (tensors loaded, missing, unexpected, renamed).")
    var verbose = false

    func validate() throws {
        switch (weights, checkpoint) {
        case (nil, nil): throw ValidationError("give the model's weights: --weights FILE or --checkpoint RUN_DIR")
        case (.some, .some): throw ValidationError("give --weights or --checkpoint, not both")
        default: break
        }
    }

    /// Builds the model of `config` with these weights, multiplying in `precision`; with
    /// `--verbose`, prints the load report to standard error.
    func model(_ config: TrainingConfig, compute: ComputePool, precision: ArithmeticPrecision) throws -> InferenceModel {
        let source = try WeightsLocation.source(weights: weights, checkpoint: checkpoint)
        let model = try InferenceModel(config: config.model, source: source, compute: compute)
        model.precision = precision.matrixPrecision
        if verbose { StandardError.print(model.loadReport.summary(limit: 8)) }
        return model
    }
}
