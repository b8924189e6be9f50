import Foundation

/// A fresh directory under the system's temporary directory, made at once and removed when the
/// value goes away: for tests that write a few files.
public final class ScratchDirectory {
    public let path: String

    public init(_ label: String = "qcs-scratch") throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `relative` joined to the directory.
    public func file(_ relative: String) -> String { path + "/" + relative }

    /// Writes `bytes` to `relative`, creating the folders on the way.
    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return full
    }

    @discardableResult
    public func write(_ relative: String, text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }
}
