import TestSupport
import XCTest
import Foundation
@testable import Trainer

final class RunLockTests: XCTestCase {
    func testSecondLock_isRefusedNamingTheHolder_andFreedWhenReleased() throws {
        let folder = try SyntheticRunFolder("lock")
        defer { folder.remove() }
        let url = URL(fileURLWithPath: folder.root)
        var first: RunLock? = try RunLock(directory: url)
        XCTAssertThrowsError(try RunLock(directory: url)) { error in
            guard case RunError.runDirectoryInUse(let path, let holder) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, folder.root)
            XCTAssertTrue(holder.contains("pid \(getpid())"), holder)
        }
        XCTAssertNotNil(first)
        first = nil
        XCTAssertNoThrow(try RunLock(directory: url), "a released lock can be taken again")
    }

    /// A resume started as the previous run's last process exits waits for its lock (bounded,
    /// said once); a holder still training is refused at once.
    func testAHolderWhoseRunEnded_isWaitedFor_andALiveTrainingIsNot() throws {
        let folder = try SyntheticRunFolder("lockwait")
        defer { folder.remove() }
        let url = URL(fileURLWithPath: folder.root)
        try #"{"state": "training"}"#.write(toFile: folder.root + "/status.json", atomically: true, encoding: .utf8)
        /// The first lock, released from another thread while the second waits.
        final class Held: @unchecked Sendable { var lock: RunLock?; init(_ lock: RunLock) { self.lock = lock } }
        let first = Held(try RunLock(directory: url))
        var said: [String] = []
        let start = Date()
        XCTAssertThrowsError(try RunLock(directory: url, waiting: 10) { said.append($0) })
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "a live training is not waited for")
        XCTAssertEqual(said, [])

        try #"{"state": "stopped"}"#.write(toFile: folder.root + "/status.json", atomically: true, encoding: .utf8)
        let holder = DispatchQueue(label: "holder")
        holder.asyncAfter(deadline: .now() + 0.6) { first.lock = nil }
        let second = try RunLock(directory: url, waiting: 10) { said.append($0) }
        XCTAssertEqual(said.count, 1)
        XCTAssertTrue(said.first?.contains("pid \(getpid())") ?? false, "\(said)")
        withExtendedLifetime(second) {}
        holder.sync {}
        XCTAssertNil(first.lock)
    }

    func testTwoRunsIntoOneDirectory_theSecondIsRefusedBeforeWritingAnything() throws {
        let folder = try SyntheticRunFolder("lockrun")
        defer { folder.remove() }
        let first = try RunDirectory(path: folder.root + "/run")
        first.appendMetrics(["kind": "step", "step": 1])
        XCTAssertThrowsError(try RunDirectory(path: folder.root + "/run")) {
            XCTAssertTrue("\($0)".contains("in use"), "\($0)")
        }
        let lines = try String(contentsOfFile: folder.root + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
    }

    func testARunDirectoryThatIsAFile_isRefusedSayingSo() throws {
        let dir = NSTemporaryDirectory() + "qcs-runfile-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/notes.txt"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        XCTAssertThrowsError(try RunDirectory(path: file)) { error in
            XCTAssertTrue("\(error)".contains("a file is there, not a directory"), "\(error)")
            XCTAssertFalse("\(error)".contains("NSCocoaErrorDomain"), "\(error)")
        }
        XCTAssertThrowsError(try RunDirectory(path: file + "/run")) { error in
            XCTAssertTrue("\(error)".contains("\(file) is a file, so no directory can be made below it"), "\(error)")
        }
    }
}
