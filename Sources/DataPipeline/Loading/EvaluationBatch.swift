import Autograd

/// A batch of single test images for evaluation or prediction.
///
/// Like `LoadedQuadruplets`, the tensors are views of the loader's reused buffers: let them go
/// before the next `EvaluationLoader.next()`.
public struct EvaluationBatch {
    /// [n, 3, S, S], normalised; n may be 0 (a rank with fewer images than the others).
    public let images: Tensor
    /// The same images mirrored left-right, [n, 3, S, S], when the loader makes flip copies for
    /// test-time augmentation (qcs averages the softmaxes of both).
    public let flipped: Tensor?
    public let labels: [Int]
    /// Index of each image in the split's sample list.
    public let sampleIndices: [Int]
    /// Images of this batch that failed to decode and were left out (policy `skip`).
    public let skippedImages: Int
}
