/// The data set layouts the pipeline reads (the `kind:` of a config's `data:` section).
public enum DatasetKind: String, Sendable, CaseIterable {
    /// RAF-DB as distributed: `basic/EmoLabel/list_patition_label.txt` and the aligned images.
    case rafdb
    /// FERPlus: FER2013's `fer2013.csv` (pixels) with `fer2013new.csv` (votes), no image files.
    case ferplus
    /// AffectNet from `name label` list files, the 7 basic expressions (Contempt left out).
    case affectnet7
    /// AffectNet from `name label` list files, 8 expressions.
    case affectnet8
    /// Any data set given by `name label` list files (labels 0-based) and configured class names.
    case list
    /// One folder per class under each split folder: `root/train/Happy/001.jpg`.
    case folders

    /// The fixed classes of the public data sets, in label order; nil where the config gives them.
    public var standardClassNames: [String]? {
        switch self {
        // RAF-DB's file labels 1–7 in this order.
        case .rafdb: return ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]
        // The order of FERPlus's vote columns.
        case .ferplus: return ["Neutral", "Happy", "Surprise", "Sad", "Anger", "Disgust", "Fear", "Contempt"]
        // AffectNet's expression codes 0–7; the 7-class set drops code 7.
        case .affectnet8: return ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger", "Contempt"]
        case .affectnet7: return ["Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger"]
        case .list, .folders: return nil
        }
    }
}

/// The parts a data set is divided into.
public enum DatasetSplit: String, Sendable, CaseIterable, Comparable {
    case train
    /// FERPlus's PublicTest; an optional list or folder elsewhere.
    case validation
    /// RAF-DB test, FERPlus PrivateTest, AffectNet's official validation set.
    case test

    public static func < (a: DatasetSplit, b: DatasetSplit) -> Bool { a.order < b.order }

    private var order: Int {
        switch self {
        case .train: return 0
        case .validation: return 1
        case .test: return 2
        }
    }
}
