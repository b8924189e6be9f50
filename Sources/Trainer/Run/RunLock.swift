import Distributed
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Exclusive use of a run directory by one live training: an advisory lock (`flock`) on
/// `RUN/.lock`, which also records who holds it. The kernel drops the lock when its holder
/// exits, however it exits (kill -9 included), so a dead run never blocks the next. `qcs launch`
/// holds a second one, `RUN/launch/.lock`: one supervisor per run directory.
public final class RunLock {
    private let fd: Int32
    let path: String

    /// Takes the lock or throws `RunError.runDirectoryInUse` naming the holder. A holder on its way
    /// out (`holderIsExiting`) is waited for up to `waiting` seconds, said once through `say`: a
    /// resume started as the previous job's last rank exits should not fail for that.
    public init(directory: URL, waiting: TimeInterval = 0, say: (String) -> Void = { _ in }) throws {
        path = directory.appendingPathComponent(".lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        var deadline: Date?
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.read(fd)
            if deadline == nil, waiting > 0, Self.holderIsExiting(directory: directory, holder: holder) {
                deadline = Date().addingTimeInterval(waiting)
                say(String(format: "waiting up to %.0f s for %@ to exit: it holds the run directory's lock, and its run "
                           + "has ended or its launcher is gone", waiting, holder))
            }
            guard let deadline, Date() < deadline else {
                close(fd)
                throw RunError.runDirectoryInUse(path: directory.path, holder: holder.isEmpty ? "another process" : holder)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        self.fd = fd
        let text = "pid \(getpid()) on \(HostName.current) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Who holds the lock of `directory` now, or nil when no live process does (the probe takes
    /// and drops the lock; it never creates the file).
    public static func holder(of directory: URL) -> String? {
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

    /// Whether the holder is on its way out: its run said it ended (status.json is `stopped`,
    /// `finished` or `failed`), or (on this host) its process is gone, a zombie, or a child of
    /// init (its launcher died). A training that is still at work is none of these.
    static func holderIsExiting(directory: URL, holder: String) -> Bool {
        if let data = FileManager.default.contents(atPath: directory.appendingPathComponent("status.json").path),
           let state = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["state"] as? String,
           state != "training" {
            return true
        }
        let words = holder.split(separator: " ")
        guard words.count >= 4, words[0] == "pid", let pid = Int32(words[1]), words[3] == HostName.current[...] else {
            return false
        }
        // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after its ')'.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count >= 2 && (fields[0] == "Z" || fields[1] == "1")
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
