/// How an epoch's anchors and negatives are drawn (docs/MODEL.md, "Optimisation").
public enum SamplingRule: String, CaseIterable, Sendable, Codable {
    /// RAF-DB and FERPlus: every training image is the anchor once per epoch, in a shuffled
    /// order; the negative is uniform over all images of other classes, so its class follows
    /// the data distribution.
    case everyImageOnce
    /// AffectNet: len/12 anchors per epoch; the anchor's class is uniform over the classes, then
    /// the image uniform within it (with replacement); the negative's class is uniform over the
    /// other classes, then an image uniform within it.
    case classBalanced
}

extension SamplingRule {
    /// The released rule of a data set: class-balanced for AffectNet, every image once otherwise.
    public init(_ dataset: DatasetKind) {
        switch dataset {
        case .affectnet7, .affectnet8: self = .classBalanced
        case .rafdb, .ferplus, .list, .folders: self = .everyImageOnce
        }
    }
}
