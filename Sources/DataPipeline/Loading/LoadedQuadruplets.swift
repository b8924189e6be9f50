import Autograd

/// One global batch's share for this rank, decoded and augmented.
///
/// The tensors are views of the loader's reused buffers: they stay valid while you hold them,
/// but let them go before the next `QuadrupletLoader.next()`, or that slot has to allocate anew
/// instead of reusing its memory.
public struct LoadedQuadruplets {
    /// [B, 3, S, S] each, normalised; B is this rank's slice minus dropped quadruplets, and may be
    /// 0 (a short last batch over many ranks, or every quadruplet dropped). The trainer hands them
    /// to the model as its `QuadrupletBatch`.
    public let anchor, positive, negative, negative2: Tensor
    /// The anchor's and positive's class, and the two negatives' class, per quadruplet.
    public let labels: [Int]
    public let negativeLabels: [Int]
    /// `GlobalBatch.index` of the batch this slice belongs to.
    public let globalIndex: Int
    /// Plan positions of the quadruplets, in order.
    public let positions: [Int]
    /// Plan positions of the quadruplets left out because an image failed (policy `skip`).
    public let droppedPositions: [Int]
    /// Images of this slice that failed to decode (policy `skip`); their files are listed in the
    /// loader's `BadImageHandler`.
    public let skippedImages: Int

    /// The four branches in order.
    public var images: [Tensor] { [anchor, positive, negative, negative2] }
}
