/// Why an augmentation recipe cannot be built.
public enum AugmentationError: Error, Equatable, CustomStringConvertible {
    /// The requested network input side is not positive.
    case invalidOutputSize(Int)
    /// A crop would be larger than the image it is taken from.
    case cropLargerThanImage(recipe: String, crop: Int, image: Int)
    /// Normalisation needs three means and three positive standard deviations.
    case invalidNormalization(mean: [Float], std: [Float])

    public var description: String {
        switch self {
        case .invalidOutputSize(let s):
            return "augmentation output size \(s) is not positive: set the model's input size to e.g. 224 or 112"
        case .cropLargerThanImage(let recipe, let crop, let image):
            return "recipe \(recipe): crop \(crop) is larger than the \(image)x\(image) image it is cut from"
        case .invalidNormalization(let mean, let std):
            return "normalisation needs 3 means and 3 positive stds, got mean \(mean) std \(std)"
        }
    }
}
