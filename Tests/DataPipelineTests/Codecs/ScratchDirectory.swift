import Foundation

/// A fresh directory under the system's temporary directory, removed when the test ends.
final class ScratchDirectory {
    let path: String

    init(_ label: String = "qcs-data-io") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `relative` joined to the directory.
    func file(_ relative: String) -> String { path + "/" + relative }

    /// Writes `bytes` to `relative`, creating the folders on the way.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return full
    }

    @discardableResult
    func write(_ relative: String, text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }
}
