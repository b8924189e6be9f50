import DataPipeline

/// Evaluates a model on labelled samples: predicts each image (in batches, optionally with flip
/// test-time augmentation) and counts (truth, prediction) pairs.
public struct Evaluator {
    public let predictor: Predictor
    /// What to do with an image that cannot be decoded: `stop` throws the decoder's error (which
    /// names the file), `skip` leaves it out of the counts and lists it in `EvaluationResult`.
    public let onBadImage: BadImagePolicy

    public init(predictor: Predictor, onBadImage: BadImagePolicy = .stop) {
        self.predictor = predictor
        self.onBadImage = onBadImage
    }

    /// What one evaluation (or one rank's share of it) found.
    public struct EvaluationResult {
        public var confusion: ConfusionMatrix
        /// Images left out under `on_bad_image: skip`, with the decoder's reason.
        public var skipped: [DatasetError]
    }

    /// `progress` is called with the number of samples done after each batch.
    public func evaluate(_ samples: [Sample], classes: Int, progress: (Int) -> Void = { _ in }) throws -> EvaluationResult {
        var result = EvaluationResult(confusion: ConfusionMatrix(classes: classes), skipped: [])
        let batchSize = predictor.batchSize
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let chunk = Array(samples[start..<min(start + batchSize, samples.count)])
            var images: [RGBImage] = [], labels: [Int] = []
            for (sample, decoded) in zip(chunk, predictor.decodeAll(chunk.map(\.source))) {
                switch decoded {
                case .success(let image):
                    images.append(image)
                    labels.append(sample.label)
                case .failure(let error):
                    guard onBadImage == .skip else { throw error }
                    result.skipped.append(.unreadableImage(image: sample.source.description,
                                                           reason: (error as? ImageCodecError)?.problem ?? "\(error)"))
                }
            }
            for (label, score) in zip(labels, predictor.scores(images)) {
                let predicted = Prediction(image: "", logits: score.logits, probabilities: score.probabilities).best
                result.confusion.add(truth: label, predicted: predicted)
            }
            progress(min(start + batchSize, samples.count))
        }
        return result
    }

    /// The contiguous share of `count` items that rank `rank` of `size` evaluates: the first
    /// `count % size` ranks take one item more, so shares differ by at most one.
    public static func slice(count: Int, rank: Int, size: Int) -> Range<Int> {
        guard size > 0, rank >= 0, rank < size else { return 0..<0 }
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}
