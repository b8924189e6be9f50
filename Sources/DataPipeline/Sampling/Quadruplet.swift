/// One training sample of the four-branch network (docs/MODEL.md, "Training network"): four image
/// indices into the training list, branch order anchor, positive, negative, negative2.
public struct Quadruplet: Sendable, Hashable, Codable {
    public var anchor: Int
    /// Another image of the anchor's class.
    public var positive: Int
    /// An image of another class.
    public var negative: Int
    /// Another image of the negative's class.
    public var negative2: Int
    /// Label of anchor and positive.
    public var anchorClass: Int
    /// Label of negative and negative2.
    public var negativeClass: Int

    public init(anchor: Int, positive: Int, negative: Int, negative2: Int, anchorClass: Int, negativeClass: Int) {
        self.anchor = anchor
        self.positive = positive
        self.negative = negative
        self.negative2 = negative2
        self.anchorClass = anchorClass
        self.negativeClass = negativeClass
    }

    /// The image of `branch` (0 anchor, 1 positive, 2 negative, 3 negative2), without an array.
    public func image(branch: Int) -> Int {
        switch branch {
        case 0: anchor
        case 1: positive
        case 2: negative
        default: negative2
        }
    }

    /// The four image indices in branch order (0 anchor … 3 negative2).
    public var images: [Int] { (0..<4).map(image(branch:)) }
    /// The label of each branch, in branch order.
    public var labels: [Int] { [anchorClass, anchorClass, negativeClass, negativeClass] }
}
