/// Why a quadruplet sampler cannot be built or a plan cannot be cut into batches.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// The training list has no images.
    case emptyDataset
    /// Image `index` carries a label outside 0..<classCount.
    case labelOutOfRange(index: Int, label: Int, classCount: Int)
    /// Negatives need at least two classes that have images.
    case fewerThanTwoClasses(nonEmpty: [Int])
    /// These classes have exactly one image, so an anchor (or negative) from them has no other
    /// image of its class to pair with.
    case singletonClasses([Int])
    /// A global batch must hold at least one quadruplet.
    case invalidBatchSize(Int)

    public var description: String {
        switch self {
        case .emptyDataset:
            return "the training list has no images: check the data set path and split"
        case .labelOutOfRange(let index, let label, let classCount):
            return "image \(index) has label \(label), outside 0..<\(classCount): check the list file and the configured number of classes"
        case .fewerThanTwoClasses(let nonEmpty):
            return "quadruplets need images of at least two classes; only classes \(nonEmpty) have any"
        case .singletonClasses(let classes):
            return "classes \(classes) have a single image, so no positive (or negative2) distinct from it exists: "
                + "add images, drop the class, or allow singleton classes (the image is then paired with itself)"
        case .invalidBatchSize(let size):
            return "batch size \(size) is not positive"
        }
    }
}
