import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The supervisor's control socket, `RUN/launch/control.sock`: a Unix stream socket that only the
/// run's owner may use (mode 0600, checked by the kernel on connect), one request a connection: a
/// line in, the answer's lines out, then closed. Served by one thread, so requests run in turn.
public final class ControlSocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let thread: Thread

    /// Listens at `path` (a stale socket file left by a killed supervisor is replaced) and answers
    /// each request with `handle`.
    public init(path: String, handle: @escaping @Sendable (String) -> String) throws {
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw LaunchError("the control socket path \(path) is longer than a Unix socket allows (107 bytes): "
                              + "use a shorter run directory path")
        }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LaunchError("cannot make the control socket: \(String(cString: strerror(errno)))") }
        var address = Self.address(path)
        // Made with no permissions for anyone else from the start: no window in which another user could connect.
        let mask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(mask)
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw LaunchError("cannot listen on \(path): \(reason)")
        }
        self.path = path
        self.fd = fd
        thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                // A client that connects and says nothing must not hold the socket for the others.
                var patience = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &patience, socklen_t(MemoryLayout<timeval>.size))
                let request = Self.readLine(client)
                let answer = handle(request)
                Self.write(answer + "\n", to: client)
                Glibc.close(client)
            }
        }
        thread.name = "qcs.control"
        thread.start()
    }

    /// Stops listening and removes the socket file.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        unlink(path)
    }

    /// Sends `line` to the supervisor at `path` and returns its answer.
    public static func request(_ line: String, path: String, timeout: TimeInterval = 30) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LaunchError("cannot make a socket: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var address = address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let reason = errno
            switch reason {
            case ENOENT, ECONNREFUSED:
                throw LaunchError("no supervisor answers at \(path): is qcs launch running on this run directory?")
            case EACCES:
                throw LaunchError("\(path) belongs to another user: only the run's owner may command its supervisor")
            default:
                throw LaunchError("cannot reach \(path): \(String(cString: strerror(reason)))")
            }
        }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        write(line + "\n", to: fd)
        shutdown(fd, Int32(SHUT_WR))
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            answer += buffer[..<n]
        }
        guard !answer.isEmpty else { throw LaunchError("the supervisor at \(path) did not answer within \(Int(timeout)) s") }
        return String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    private static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    private static func readLine(_ fd: Int32) -> String {
        var bytes = [UInt8]()
        var byte: UInt8 = 0
        while bytes.count < 1024, read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            sent += n
        }
    }
}
