import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Exclusive use of a run directory by one live training: an advisory lock (`flock`) on
/// `RUN/.lock`, which also records who holds it. The kernel drops the lock when its holder
/// exits, however it exits (kill -9 included), so a dead run never blocks the next.
final class RunLock {
    private let fd: Int32
    let path: String

    /// Takes the lock or throws `RunError.runDirectoryInUse` naming the holder.
    init(directory: URL) throws {
        path = directory.appendingPathComponent(".lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.read(fd)
            close(fd)
            throw RunError.runDirectoryInUse(path: directory.path, holder: holder.isEmpty ? "another process" : holder)
        }
        self.fd = fd
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let text = "pid \(getpid()) on \(String(cString: host)) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Who holds the lock of `directory` now, or nil when no live process does (the probe takes
    /// and drops the lock; it never creates the file).
    static func holder(of directory: URL) -> String? {
        let fd = open(directory.appendingPathComponent(".lock").path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let text = read(fd)
        return text.isEmpty ? "another process" : text
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    private static func read(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
