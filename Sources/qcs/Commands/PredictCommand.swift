import ArgumentParser
import Autograd
import DataPipeline
import Inference
import Trainer

extension QCSCommand {
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify face images with a trained model: the most probable expressions per image.",
            discussion: """
            Images are prepared as the config's data set prepares its test split (RAF-DB: resize to \
            the model's input size; FERPlus and AffectNet: resize and centre crop), so give face \
            crops like the training images. Class names come from the config's data set.

            Output (text): one line per image, `IMAGE: Happiness 0.912, Neutral 0.051, Surprise 0.020`.
            Output (json): one JSON object per line per image with `image`, `top`, `classes`, \
            `logits` and `probabilities`.

            Exit status: 0 every image predicted, 1 some image could not be read (the others are \
            still predicted; the error names the file) or the model could not be set up.

            Example:
              qcs predict --config Configs/synthetic.yaml --checkpoint runs/demo face1.jpg face2.png
            """)

        enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

        @OptionGroup var configOptions: ConfigOptions
        @OptionGroup var weightsOptions: WeightsOptions
        @OptionGroup var precisionOption: PrecisionOption

        @Argument(help: ArgumentHelp("JPEG or PNG images to classify.", valueName: "image"))
        var images: [String]

        @Option(name: .customLong("top-k"), help: "How many classes to show per image.")
        var topK = 3

        @Option(help: "text: one line per image; json: one JSON object per line per image.")
        var format = OutputFormat.text

        @Flag(help: "Average the probabilities of each image and its mirror image.")
        var flipTTA = false

        @Option(help: "Images per forward pass.")
        var batch = 16

        @Option(help: "Compute threads (default: QCS_THREADS, OMP_NUM_THREADS, else all cores).")
        var threads: Int?

        func validate() throws {
            guard !images.isEmpty else { throw ValidationError("give at least one image to classify") }
            guard topK >= 1 else { throw ValidationError("--top-k must be at least 1") }
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
            try ThreadCount.validate(threads)
        }

        func run() throws {
            let config = try configOptions.load()
            let precision = precisionOption.resolved(config)
            PrecisionOption.announce(precision)
            let model = try weightsOptions.model(config, compute: ComputePool(threads: threads, options: try EngineEnvironment.options()), precision: precision)
            let input = try TestTimeInput(dataset: config.data.kind, imageSize: config.model.imageSize)
            let names = ConfigOptions.classNames(config)
            let predictor = Predictor(model: model, input: input, batchSize: batch, flipTTA: flipTTA)
            let outcomes = predictor.predict(images.map { ImageSource.file($0) })
            var unreadable = 0
            for outcome in outcomes {
                switch outcome {
                case .predicted(let p):
                    print(format == .json ? p.jsonLine(classNames: names, topK: topK)
                          : p.textLine(classNames: names, topK: min(topK, names.count)))
                case .unreadable(_, let reason):
                    unreadable += 1
                    StandardError.print("error: \(reason)")
                }
            }
            if unreadable > 0 {
                StandardError.print("\(unreadable) of \(images.count) images could not be read")
                throw ExitCode.failure
            }
        }
    }
}
