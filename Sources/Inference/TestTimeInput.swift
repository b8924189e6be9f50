import Imaging
import Autograd
import DataPipeline
import QCS

/// Turns decoded images into the network's input batch the way the data set's test split is
/// fed: the test-time `AugmentationRecipe` of the config's data set (deterministic: resize, and
/// a centre crop for FERPlus and AffectNet), then normalisation. Optionally mirrored, for
/// flip test-time augmentation.
public struct TestTimeInput: Sendable {
    public let recipe: AugmentationRecipe

    /// The recipe of `dataset` at the model's input side. The generic layouts (`list`,
    /// `folders`) have no recipe of their own and get RAF-DB's (a plain resize), which suits
    /// face crops that are already aligned.
    public init(dataset: DatasetKind, imageSize: Int) throws {
        recipe = try AugmentationRecipe(kind: AugmentationRecipe.Kind(dataset) ?? .rafdb,
                                        options: .init(training: false, outputSize: imageSize))
    }

    /// A `[images.count, 3, S, S]` batch; `mirrored` flips every image left-right after the
    /// 8-bit steps (the crop is centred, so this is the flip of what the network sees).
    public func batch(_ images: [RGBImage], mirrored: Bool = false) -> Tensor {
        let s = recipe.outputSize
        let batch = Tensor(zeros: [images.count, 3, s, s])
        var rng = SeededRNG(seed: 0)  // test-time steps draw nothing; the API wants a generator
        for (item, image) in images.enumerated() {
            var prepared = recipe.augmentedImage(image, &rng)
            if mirrored { prepared = prepared.flippedHorizontally() }
            let slice = UnsafeMutableBufferPointer(start: batch.data + item * recipe.floatsPerImage,
                                                   count: recipe.floatsPerImage)
            recipe.normalization.write(prepared, into: slice)
        }
        return batch
    }
}
