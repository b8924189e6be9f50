import Autograd
import DataPipeline
import Reports

/// The one way qcs measures a model on a labelled split, for the trainer's test after each
/// epoch and for `qcs eval`: this rank's contiguous part of the split (`EvaluationLoader`, which
/// cuts it with `GlobalBatch.rankRange` and decodes on background threads with the data set's
/// test-time recipe), the base path's logits, and the class of the highest probability. With
/// flip test-time augmentation the probabilities are the mean of the softmaxes of the image and
/// of its mirror image, the rule `qcs predict` follows too (docs/MODEL.md, "Evaluation").
///
/// Every rank passes the same number of batches; the caller sums the ranks' matrices.
public struct SplitEvaluation {
    public var samples: [Sample]
    public var recipe: AugmentationRecipe
    public var classes: Int
    public var batchSize = 32
    public var flipTTA = false
    public var options: LoaderOptions
    public var badImages: BadImageHandler

    public init(samples: [Sample], recipe: AugmentationRecipe, classes: Int, options: LoaderOptions,
                badImages: BadImageHandler) {
        self.samples = samples
        self.recipe = recipe
        self.classes = classes
        self.options = options
        self.badImages = badImages
    }

    /// This rank's confusion matrix. `logits` maps a normalised `[n, 3, S, S]` batch to n rows;
    /// `progress` gets the images this rank has done after each batch.
    public func confusion(rank: Int, worldSize: Int, logits: (Tensor) throws -> [[Float]],
                          progress: (Int) -> Void = { _ in }) throws -> ConfusionMatrix {
        let loader = try EvaluationLoader(samples: samples, recipe: recipe, batchSize: batchSize, rank: rank,
                                          worldSize: worldSize, flips: flipTTA, options: options, badImages: badImages)
        var confusion = ConfusionMatrix(classes: classes)
        var done = 0
        while let batch = try loader.next() {
            done += batch.labels.count + batch.skippedImages
            guard !batch.labels.isEmpty else { continue }
            let plain = try logits(batch.images)
            let mirrored = try batch.flipped.map(logits)
            for (k, label) in batch.labels.enumerated() {
                confusion.add(truth: label, predicted: Self.predicted(plain[k], mirrored: mirrored?[k]))
            }
            progress(done)
        }
        return confusion
    }

    /// The class of the highest probability; with a mirror image's logits, of the mean softmax.
    static func predicted(_ logits: [Float], mirrored: [Float]?) -> Int {
        var probabilities = Prediction.softmax(logits)
        if let mirrored {
            probabilities = zip(probabilities, Prediction.softmax(mirrored)).map { ($0 + $1) / 2 }
        }
        return Prediction(image: "", logits: logits, probabilities: probabilities).best
    }

    /// A `[n, classes]` tensor as n rows.
    public static func rows(of tensor: Tensor) -> [[Float]] {
        let classes = tensor.shape.count == 2 ? tensor.shape[1] : 0
        let flat = tensor.array
        return (0..<(tensor.shape.first ?? 0)).map { Array(flat[($0 * classes)..<(($0 + 1) * classes)]) }
    }
}
