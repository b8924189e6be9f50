import TestSupport
import XCTest
@testable import Launch

/// The control socket and what the supervisor's board answers, without a job.
final class ControlTests: ScratchTestCase {
    func testCommands_parse_andMistakesAreNamed() {
        XCTAssertEqual(try ControlCommand.parse("status").get(), .status)
        XCTAssertEqual(try ControlCommand.parse(" drain qh2 ").get(), .drain("qh2"))
        XCTAssertEqual(try ControlCommand.parse("add qh4:2").get(), .add(MPIHost(name: "qh4", slots: 2)))
        for (line, says) in [("", "an empty command"), ("stop now", "stop takes no argument"), ("drain", "drain takes one host"),
                             ("add qh4:0", "slots in 'qh4:0'"), ("restart", "'restart' is not a command")] {
            guard case .failure(let error) = ControlCommand.parse(line) else { XCTFail("\(line) parsed"); continue }
            XCTAssertTrue(error.description.contains(says), "\(line): \(error)")
        }
    }

    func testBoard_drainAddAndHosts_withoutAJob() {
        let board = SupervisorBoard(hosts: [MPIHost(name: "qh1"), MPIHost(name: "qh2")], health: HostHealth(),
                                    runDirectory: scratch)
        XCTAssertEqual(board.handle("drain qh9"), "error: qh9 is not one of the hosts (qh1, qh2)")
        XCTAssertTrue(board.handle("drain qh2").hasPrefix("ok: qh2 drained: no job runs on it"))
        XCTAssertFalse(board.isUsable("qh2"))
        XCTAssertTrue(board.handle("hosts").contains("qh2:1                    drained"), board.handle("hosts"))
        XCTAssertTrue(board.handle("add qh2:2").hasPrefix("ok: qh2:2 back among the hosts"))
        XCTAssertTrue(board.isUsable("qh2"))
        XCTAssertTrue(board.handle("add qh3").hasPrefix("ok: qh3:1 added"))
        XCTAssertEqual(board.hosts.map(\.description), ["qh1:1", "qh2:2", "qh3:1"])
        XCTAssertEqual(board.handle("checkpoint"), "error: no job is running (starting); nothing to checkpoint")
        XCTAssertTrue(board.handle("resume").hasPrefix("error: the run is not paused"))
        XCTAssertTrue(board.handle("pause").hasPrefix("ok: paused before the next job"))
        XCTAssertTrue(board.isPaused)
        XCTAssertTrue(board.handle("resume").hasPrefix("ok: resuming"))
        XCTAssertFalse(board.isPaused)
    }

    func testBoard_withAJob_sendsOneStopSignal_theStrongestReasonWins() {
        let sent = SentSignals()
        let board = SupervisorBoard(hosts: [MPIHost(name: "qh1"), MPIHost(name: "qh2")], health: HostHealth(),
                                    runDirectory: scratch)
        board.setJob(1, hosts: board.hosts, control: MPIRunJob.Control { sent.add($0) })
        XCTAssertEqual(board.handle("checkpoint"),
                       "error: job 1 is starting (its ranks cannot take signals yet); ask again in a moment")
        board.markReady()
        XCTAssertTrue(board.handle("checkpoint").hasPrefix("ok: checkpoint asked"))
        XCTAssertTrue(board.handle("drain qh2").hasPrefix("ok: draining qh2"))
        XCTAssertTrue(board.handle("pause").hasPrefix("ok: pausing"))
        XCTAssertTrue(board.handle("stop").hasPrefix("ok: stopping"))
        XCTAssertEqual(sent.all, [SIGUSR1, SIGUSR2], "one checkpoint, then one checkpoint-and-stop for all three")
        XCTAssertEqual(board.lastIntent, .stop)
        XCTAssertTrue(board.handle("status").contains("running, job 1 on qh1:1,qh2:1"), board.handle("status"))
    }

    func testBoard_aStopAskedWhileTheJobStarts_isSentWhenItsRanksAreReady() {
        let sent = SentSignals()
        let board = SupervisorBoard(hosts: [MPIHost(name: "qh1")], health: HostHealth(), runDirectory: scratch)
        board.setJob(1, hosts: board.hosts, control: MPIRunJob.Control { sent.add($0) })
        XCTAssertTrue(board.handle("stop").hasPrefix("ok: stopping"))
        XCTAssertEqual(sent.all, [], "a signal before the ranks handle it would kill them")
        board.markReady()
        XCTAssertEqual(sent.all, [SIGUSR2])
    }

    func testSocket_answersItsOwner_andIsClosedToOthers() throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let path = scratch + "/control.sock"
        let socket = try ControlSocket(path: path) { line in "ok: heard \(line)" }
        defer { socket.close() }
        XCTAssertEqual(try ControlSocket.request("status", path: path), "ok: heard status")
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        XCTAssertEqual(mode, 0o600, "only the owner may connect")
        XCTAssertThrowsError(try ControlSocket.request("status", path: scratch + "/none.sock")) { error in
            XCTAssertTrue("\(error)".contains("no supervisor answers"), "\(error)")
        }
    }
}

private final class SentSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var signals: [Int32] = []
    func add(_ s: Int32) { lock.withLock { signals.append(s) } }
    var all: [Int32] { lock.withLock { signals } }
}
