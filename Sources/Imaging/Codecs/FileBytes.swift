#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and writes with POSIX calls, so errors carry the system's reason
/// (`strerror`) and reads land straight in a Swift array.
public enum FileBytes {
    /// The file's contents.
    public static func load(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ImageCodecError.unreadableFile(file: path, reason: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ImageCodecError.unreadableFile(file: path, reason: errnoText()) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ImageCodecError.unreadableFile(file: path, reason: "it is a directory")
        }
        // The size is a hint only: a file that grows or shrinks while read is still read whole.
        // One spare byte lets the final zero-length read confirm the end without growing the
        // array (a copy of FER2013's 300 MB otherwise).
        var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: [UInt8](repeating: 0, count: max(4096, filled))) }
            let got = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw ImageCodecError.unreadableFile(file: path, reason: errnoText())
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it into place, so a reader
    /// (or a rerun after an interruption) never sees a half-written image.
    public static func save(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ImageCodecError.unwritableFile(file: path, reason: errnoText()) }
        var written = 0
        while written < bytes.count {
            let put = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if put < 0 {
                if errno == EINTR { continue }
                let reason = errnoText()
                close(fd)
                unlink(temporary)
                throw ImageCodecError.unwritableFile(file: path, reason: reason)
            }
            written += put
        }
        guard close(fd) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw ImageCodecError.unwritableFile(file: path, reason: reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw ImageCodecError.unwritableFile(file: path, reason: reason)
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
