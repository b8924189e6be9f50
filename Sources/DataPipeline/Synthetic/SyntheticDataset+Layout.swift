import Imaging
import Foundation

/// Writing the data set in RAF-DB basic's layout:
///
///     ROOT/basic/EmoLabel/list_patition_label.txt   "train_00001.jpg 4" per line, labels 1–7
///     ROOT/basic/Image/aligned/train_00001_aligned.jpg
///
/// Training names use five digits and test names four, as RAF-DB does (wider when the counts
/// need it); the list holds the training lines, then the test lines.
extension SyntheticDataset {
    /// RAF-DB's spelling, typo included.
    public static let listFilePath = "basic/EmoLabel/list_patition_label.txt"
    public static let imageDirectory = "basic/Image/aligned"

    /// The name the list file uses for image `index` (0-based) of `split`.
    public func listName(_ split: Split, index: Int, fileExtension: String = "jpg") -> String {
        let minimumDigits = split == .train ? 5 : 4
        let digits = max(minimumDigits, String(count(split)).count)
        let number = String(index + 1)
        return "\(split.rawValue)_\(String(repeating: "0", count: max(0, digits - number.count)))\(number).\(fileExtension)"
    }

    /// The file name on disk: the list name with `_aligned` before the extension.
    public func alignedFileName(_ split: Split, index: Int, fileExtension: String = "jpg") -> String {
        let name = listName(split, index: index, fileExtension: fileExtension)
        return String(name.dropLast(fileExtension.count + 1)) + "_aligned." + fileExtension
    }

    /// The whole list file.
    public func listFile(fileExtension: String = "jpg") -> String {
        var lines: [String] = []
        for split in Split.allCases {
            for i in 0..<count(split) {
                lines.append("\(listName(split, index: i, fileExtension: fileExtension)) \(label(split, index: i).rafLabel)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Draws every image and writes the layout under `root`. `encode` turns an image into file
    /// bytes (the JPEG encoder in production; anything in tests). Images are drawn and encoded
    /// on all cores; the first failure is thrown after the others finish.
    public func write(to root: URL, fileExtension: String = "jpg",
                      encode: @escaping @Sendable (RGBImage) throws -> [UInt8]) throws(SyntheticDatasetError) {
        let fm = FileManager.default
        let imageDir = root.appendingPathComponent(Self.imageDirectory)
        let listURL = root.appendingPathComponent(Self.listFilePath)
        for dir in [imageDir, listURL.deletingLastPathComponent()] {
            do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw .cannotCreateDirectory(path: dir.path, reason: "\(error.localizedDescription)")
            }
        }
        let jobs = Split.allCases.flatMap { split in (0..<count(split)).map { (split, $0) } }
        let failures = FailureList()
        let dataset = self
        DispatchQueue.concurrentPerform(iterations: jobs.count) { k in
            let (split, index) = jobs[k]
            let url = imageDir.appendingPathComponent(dataset.alignedFileName(split, index: index, fileExtension: fileExtension))
            let bytes: [UInt8]
            do { bytes = try encode(dataset.image(split, index: index)) } catch {
                failures.add(k, .encoderFailed(path: url.path, reason: "\(error)"))
                return
            }
            do { try Data(bytes).write(to: url) } catch {
                failures.add(k, .cannotWrite(path: url.path, reason: error.localizedDescription))
            }
        }
        if let first = failures.first { throw first }
        do { try Data(listFile(fileExtension: fileExtension).utf8).write(to: listURL) } catch {
            throw .cannotWrite(path: listURL.path, reason: error.localizedDescription)
        }
    }
}

extension SyntheticDataset {
    /// Writes the layout with the pipeline's own encoder: JPEG (RAF-DB's format) by default.
    public func write(to root: URL, encoding: ImageEncoding = .jpeg(quality: 95)) throws(SyntheticDatasetError) {
        let fileExtension = encoding == .png ? "png" : "jpg"
        try write(to: root, fileExtension: fileExtension) { try ImageEncoder.encode($0, as: encoding) }
    }
}

/// Errors collected from parallel writers; the one with the lowest job number wins, so the
/// reported failure does not depend on thread timing.
private final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [(Int, SyntheticDatasetError)] = []

    func add(_ job: Int, _ error: SyntheticDatasetError) {
        lock.lock(); defer { lock.unlock() }
        failures.append((job, error))
    }

    var first: SyntheticDatasetError? {
        lock.lock(); defer { lock.unlock() }
        return failures.min { $0.0 < $1.0 }?.1
    }
}
