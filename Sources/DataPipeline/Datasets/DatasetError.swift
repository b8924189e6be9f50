/// One problem found while reading a data set. Every case names the file (and the line, where
/// there is one) and what was expected, so the user can go and fix it; readers collect all of
/// them into `DatasetProblems` rather than stopping at the first.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// A list or CSV file, or a folder, that could not be read.
    case unreadableFile(file: String, reason: String)
    /// A line that does not have the expected shape.
    case malformedLine(file: String, line: Int, expected: String, found: String)
    /// A label outside the data set's classes.
    case unknownLabel(file: String, line: Int, label: String, allowed: String)
    /// A row whose split cannot be told (RAF-DB name prefix, FERPlus Usage column).
    case unknownSplit(file: String, line: Int, value: String, allowed: String)
    /// An image named on a list line that does not exist or cannot be opened.
    case missingImage(image: String, listedIn: String, line: Int)
    /// The same image listed twice in one split.
    case duplicateImage(image: String, file: String, line: Int, firstLine: Int)
    /// Two files that correspond row by row have different numbers of rows.
    case rowCountMismatch(file: String, rows: Int, otherFile: String, otherRows: Int)
    /// Two corresponding rows disagree about the split.
    case splitMismatch(file: String, line: Int, value: String, otherFile: String, otherValue: String)
    /// A folder under a split that is not one of the configured classes.
    case unknownClassFolder(folder: String, allowed: [String])
    /// A configured class with no folder in any split.
    case missingClassFolder(className: String, root: String)
    /// A split that ended up with no samples at all.
    case emptySplit(split: DatasetSplit, source: String)
    /// An image that could not be decoded; `reason` is the codec's message.
    case unreadableImage(image: String, reason: String)

    /// The file (or folder, or image) the problem is in.
    public var file: String {
        switch self {
        case .unreadableFile(let file, _), .malformedLine(let file, _, _, _), .unknownLabel(let file, _, _, _),
             .unknownSplit(let file, _, _, _), .duplicateImage(_, let file, _, _), .rowCountMismatch(let file, _, _, _),
             .splitMismatch(let file, _, _, _, _):
            return file
        case .missingImage(_, let listedIn, _): return listedIn
        case .unknownClassFolder(let folder, _): return folder
        case .missingClassFolder(_, let root): return root
        case .emptySplit(_, let source): return source
        case .unreadableImage(let image, _): return image
        }
    }

    /// The 1-based line in `file`, where the problem is on one.
    public var line: Int? {
        switch self {
        case .malformedLine(_, let line, _, _), .unknownLabel(_, let line, _, _), .unknownSplit(_, let line, _, _),
             .missingImage(_, _, let line), .duplicateImage(_, _, let line, _), .splitMismatch(_, let line, _, _, _):
            return line
        default: return nil
        }
    }

    /// A short name of the kind of problem, for counts ("3 unknown labels").
    public var category: String {
        switch self {
        case .unreadableFile: return "unreadable file"
        case .malformedLine: return "malformed line"
        case .unknownLabel: return "unknown label"
        case .unknownSplit: return "unknown split"
        case .missingImage: return "missing image"
        case .duplicateImage: return "duplicate image"
        case .rowCountMismatch: return "row count mismatch"
        case .splitMismatch: return "split mismatch"
        case .unknownClassFolder: return "unknown class folder"
        case .missingClassFolder: return "missing class folder"
        case .emptySplit: return "empty split"
        case .unreadableImage: return "unreadable image"
        }
    }

    /// `file:line: what is wrong` (or `file: …`), the shape compilers use, so editors can jump there.
    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        switch self {
        case .unreadableFile(_, let reason):
            return "\(place): cannot read (\(reason))"
        case .malformedLine(_, _, let expected, let found):
            return "\(place): expected \(expected), found '\(DatasetError.clip(found))'"
        case .unknownLabel(_, _, let label, let allowed):
            return "\(place): unknown label '\(label)' (allowed: \(allowed))"
        case .unknownSplit(_, _, let value, let allowed):
            return "\(place): cannot tell the split from '\(DatasetError.clip(value))' (expected \(allowed))"
        case .missingImage(let image, _, _):
            return "\(place): image \(image) does not exist or cannot be opened"
        case .duplicateImage(let image, _, _, let firstLine):
            return "\(place): \(image) is already listed on line \(firstLine)"
        case .rowCountMismatch(_, let rows, let otherFile, let otherRows):
            return "\(place): \(rows) data rows, but \(otherFile) has \(otherRows); the files correspond row by row, so both must come from the same release"
        case .splitMismatch(_, _, let value, let otherFile, let otherValue):
            return "\(place): split '\(value)' but the same row of \(otherFile) says '\(otherValue)'; the files are out of step"
        case .unknownClassFolder(_, let allowed):
            return "\(place): folder is not one of the configured classes \(allowed); rename it or add it to data.classes"
        case .missingClassFolder(let className, _):
            return "\(place): no split has a folder for class '\(className)'"
        case .emptySplit(let split, _):
            return "\(place): the \(split.rawValue) split has no samples"
        case .unreadableImage(_, let reason):
            return "\(place): \(reason)"
        }
    }

    /// Keeps quoted file content to a readable length (a FER2013 row is 7 KB of pixels).
    static func clip(_ text: String, to limit: Int = 80) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
