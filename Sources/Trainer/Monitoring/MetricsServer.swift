import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP endpoint for Prometheus: `GET /metrics` answers the board's text, anything
/// else 404. One background thread, one connection at a time (a scraper asks every few
/// seconds); bound to 127.0.0.1 unless told otherwise, since the figures are nobody else's.
public final class MetricsServer: @unchecked Sendable {
    public let host: String
    public let port: Int
    private let board: MetricsBoard
    private let socketFD: Int32
    private let thread: Thread
    private let stopped = NSLock()
    private var isStopped = false

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Binds and starts serving. `port` 0 takes a free one (`port` then says which).
    public init(host: String, port: Int, board: MetricsBoard) throws {
        self.board = board
        self.host = host
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "metrics endpoint: no socket (\(String(cString: strerror(errno))))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw Failure(description: "--metrics-host \(host): not an IPv4 address (127.0.0.1 serves this machine only, "
                          + "0.0.0.0 every interface)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "--metrics-port \(port) on \(host): \(reason) (is another run or program using it? "
                          + "choose another port)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        socketFD = fd
        thread = Thread { [board] in Self.serve(fd, board) }
        thread.name = "qcs-metrics"
        thread.start()
    }

    /// Stops accepting: the blocked accept returns and the thread ends, closing the socket itself.
    /// Closed here instead, its descriptor number could go to a new server's socket while this
    /// thread was still about to call accept on it, and answer that server's clients from this board.
    public func stop() {
        stopped.lock(); defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        shutdown(socketFD, Int32(SHUT_RDWR))
    }

    deinit { stop() }

    private static func serve(_ fd: Int32, _ board: MetricsBoard) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                close(fd)
                return
            }
            respond(client, board)
            close(client)
        }
    }

    private static func respond(_ client: Int32, _ board: MetricsBoard) {
        // A slow or silent client must not hold the endpoint: two seconds to send its request.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8](repeating: 0, count: 4096)
        let n = recv(client, &request, request.count, 0)
        guard n > 0 else { return }
        let line = String(decoding: request[..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        let path = parts.count > 1 ? parts[1].split(separator: "?").first.map(String.init) ?? "" : ""
        let (status, body) = parts.first == "GET" && path == "/metrics"
            ? ("200 OK", board.text()) : ("404 Not Found", "qcs serves /metrics only\n")
        let response = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let k = bytes.withUnsafeBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if k <= 0 { return }
            sent += k
        }
    }
}
