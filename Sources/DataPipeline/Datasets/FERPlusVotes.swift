/// FERPlus's ten annotator vote counts for one image, in the file's column order: neutral,
/// happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF (not a face).
public struct FERPlusVotes: Sendable, Equatable {
    public static let columns = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                                 "contempt", "unknown", "NF"]
    /// The first eight columns are the emotions, in class-label order.
    public static let emotionCount = 8

    public let counts: [Int]

    /// Nil unless exactly ten counts.
    public init?(_ counts: [Int]) {
        guard counts.count == FERPlusVotes.columns.count, counts.allSatisfy({ $0 >= 0 }) else { return nil }
        self.counts = counts
    }

    /// What the votes decide.
    public enum Outcome: Sendable, Equatable {
        /// One emotion holds more than half of all votes: its class label 0–7.
        case label(Int)
        /// The majority says "unknown".
        case unknown
        /// The majority says the image is not a face.
        case notAFace
        /// No column holds more than half of the votes (ties included).
        case noMajority
        /// Every count is zero.
        case noVotes
    }

    /// The majority rule: a column wins when it holds more than half of all ten columns' votes;
    /// only an emotion's win gives a label.
    public var outcome: Outcome {
        let total = counts.reduce(0, +)
        guard total > 0 else { return .noVotes }
        guard let top = counts.indices.max(by: { counts[$0] < counts[$1] }), 2 * counts[top] > total else {
            return .noMajority
        }
        switch top {
        case ..<FERPlusVotes.emotionCount: return .label(top)
        case FERPlusVotes.emotionCount: return .unknown
        default: return .notAFace
        }
    }
}
