import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Trainer

final class MetricsServerTests: XCTestCase {
    /// One HTTP/1.0 request to 127.0.0.1:`port`, the whole response as text.
    func get(_ path: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0, String(cString: strerror(errno)))
        let request = Array("GET \(path) HTTP/1.0\r\n\r\n".utf8)
        XCTAssertEqual(send(fd, request, request.count, 0), request.count)
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    func testMetrics_areServedInPrometheusTextFormat_onLoopback() throws {
        let board = MetricsBoard()
        board.set("qcs_step", 42, help: "Steps.")
        board.set("qcs_loss", 1.25, help: "Loss.")
        board.set("qcs_rank_step_seconds", 0.5, help: "Per rank.", labels: "rank=\"1\"")
        board.set("qcs_bytes_sent_total", 1e6, help: "Bytes.", kind: .counter)
        board.set("qcs_last_checkpoint_timestamp_seconds", Date().timeIntervalSince1970 - 30, help: "When.")
        board.age("qcs_checkpoint_age_seconds", help: "Age.", of: "qcs_last_checkpoint_timestamp_seconds")
        board.age("qcs_never_seconds", help: "Absent until its timestamp is set.", of: "qcs_unset")
        let server = try MetricsServer(host: "127.0.0.1", port: 0, board: board)
        defer { server.stop() }
        XCTAssertGreaterThan(server.port, 0)
        let response = try get("/metrics", port: server.port)
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK"), response)
        XCTAssertTrue(response.contains("Content-Type: text/plain; version=0.0.4"), response)
        XCTAssertTrue(response.contains("# TYPE qcs_step gauge\nqcs_step 42\n"), response)
        XCTAssertTrue(response.contains("qcs_loss 1.25\n"), response)
        XCTAssertTrue(response.contains("qcs_rank_step_seconds{rank=\"1\"} 0.5\n"), response)
        XCTAssertTrue(response.contains("# TYPE qcs_bytes_sent_total counter\nqcs_bytes_sent_total 1000000\n"), response)
        let age = response.split(separator: "\n").first { $0.hasPrefix("qcs_checkpoint_age_seconds ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
        XCTAssertEqual(age ?? -1, 30, accuracy: 5)
        XCTAssertFalse(response.contains("qcs_never_seconds"), response)
        XCTAssertTrue(try get("/other", port: server.port).hasPrefix("HTTP/1.1 404"))
        board.set("qcs_step", 43, help: "Steps.")
        XCTAssertTrue(try get("/metrics", port: server.port).contains("qcs_step 43\n"), "a second scrape sees the new value")
    }

    func testBusyPortAndBadHost_areClearErrors() throws {
        let board = MetricsBoard()
        let first = try MetricsServer(host: "127.0.0.1", port: 0, board: board)
        defer { first.stop() }
        XCTAssertThrowsError(try MetricsServer(host: "127.0.0.1", port: first.port, board: board)) {
            XCTAssertTrue("\($0)".contains("--metrics-port \(first.port)"), "\($0)")
        }
        XCTAssertThrowsError(try MetricsServer(host: "localhost:x", port: 0, board: board)) {
            XCTAssertTrue("\($0)".contains("not an IPv4 address"), "\($0)")
        }
    }
}
