import XCTest
@testable import Launch

/// How the supervisor reads a job's end, and what it does next.
final class FailureDecisionTests: XCTestCase {
    let placement = JobPlacement(hosts: [MPIHost(name: "qh1"), MPIHost(name: "qh2"), MPIHost(name: "qh3")])

    func testMpirunsReport_ofAKilledRank_namesRankHostAndSignal() {
        let lines = ["--------------------------------------------------------------------------",
                     "mpirun noticed that process rank 1 with PID 0 on node qh2 exited on signal 9 (Killed).",
                     "--------------------------------------------------------------------------"]
        let cause = JobReport(exitCode: 137, lines: lines).cause(placement: placement)
        XCTAssertEqual(cause, .rankSignal(rank: 1, host: "qh2", signal: SIGKILL))
        XCTAssertEqual(cause.host, "qh2")
        XCTAssertEqual("\(cause)", "rank 1 on qh2 killed by SIGKILL (out of memory, or killed by hand)")
    }

    func testMpirunsReport_ofARanksExitCode_mapsTheRankToItsHost() {
        let lines = ["mpirun detected that one or more processes exited with non-zero status, thus causing",
                     "the job to be terminated. The first process to do so was:", "",
                     "  Process name: [[51470,1],2]", "  Exit code:    3"]
        XCTAssertEqual(JobReport(exitCode: 3, lines: lines).cause(placement: placement),
                       .rankExit(rank: 2, host: "qh3", code: 3))
    }

    func testUsageError_andTheRunsOwnFailure_comeFirst() {
        let usage = JobReport(exitCode: 64, lines: ["Error: config key 'optim.lrx': unknown key"]).cause(placement: placement)
        XCTAssertEqual(usage, .usage(message: "Error: config key 'optim.lrx': unknown key"))
        XCTAssertTrue(usage.isPermanent)
        let failed = JobReport(exitCode: 1, lines: ["Process name: [[1,1],0]", "Exit code: 1"], runState: "failed", runStep: 7,
                               runMessage: "non-finite loss").cause(placement: placement)
        XCTAssertEqual(failed, .runFailed(step: 7, message: "non-finite loss"))
        XCTAssertNil(failed.host, "every rank failed alike: no host to blame")
    }

    func testLostDaemon_namesTheHost() {
        let lines = ["ORTE has lost communication with a remote daemon.", "", "  HNP daemon   : [[1,0],0] on node qh1",
                     "  Remote daemon: [[1,0],2] on node qh3"]
        XCTAssertEqual(JobReport(exitCode: 1, lines: lines).cause(placement: placement), .hostLost(host: "qh3"))
    }

    func testPolicy_restartsWithGrowingBackoff_upToTheLimit() {
        var policy = RestartPolicy(maxRestarts: 3, firstBackoff: 1, maxBackoff: 3)
        let kill = FailureCause.rankSignal(rank: 1, host: "qh2", signal: SIGKILL)
        XCTAssertEqual(policy.decide(after: kill, step: 4, progressed: true), .restart(after: 1))
        XCTAssertEqual(policy.decide(after: kill, step: 4, progressed: false), .restart(after: 2))
        XCTAssertEqual(policy.decide(after: kill, step: 4, progressed: false), .restart(after: 3), "capped")
        guard case .giveUp(.tooManyRestarts, let reason) = policy.decide(after: kill, step: 4, progressed: false) else {
            return XCTFail("a fourth failure with --max-restarts 3 gives up")
        }
        XCTAssertTrue(reason.contains("3 restarts used"), reason)
    }

    func testPolicy_theSameOwnFailureAtTheSameStepTwice_stops_butSignalsNever() {
        var policy = RestartPolicy(maxRestarts: 10)
        let own = FailureCause.rankExit(rank: 0, host: "qh1", code: 1)
        XCTAssertEqual(policy.decide(after: own, step: 5, progressed: true), .restart(after: 1))
        guard case .giveUp(.unfixable, let reason) = policy.decide(after: .rankExit(rank: 1, host: "qh2", code: 1), step: 5,
                                                                   progressed: false) else {
            return XCTFail("the same exit at the same step twice is a bug a restart does not fix")
        }
        XCTAssertTrue(reason.contains("twice at step 5"), reason)
        var outside = RestartPolicy(maxRestarts: 10)
        let kill = FailureCause.rankSignal(rank: 1, host: "qh2", signal: SIGKILL)
        for _ in 0..<3 {
            guard case .restart = outside.decide(after: kill, step: 5, progressed: false) else { return XCTFail("kills repeat by chance") }
        }
        var usage = RestartPolicy(maxRestarts: 10)
        XCTAssertEqual(usage.decide(after: .usage(message: "bad key"), step: 0, progressed: false),
                       .giveUp(.unfixable, reason: "a usage or config error: bad key"))
    }

    func testHostHealth_setAsideThenBlacklistedForDoublingCooldowns() {
        var health = HostHealth(window: 100, cooldown: 10)
        let t0 = Date(timeIntervalSince1970: 1000)
        XCTAssertEqual(health.recordFailure(of: "qh2", at: t0), .setAside(until: t0 + 10))
        XCTAssertFalse(health.isUsable("qh2", at: t0 + 5))
        XCTAssertTrue(health.isUsable("qh2", at: t0 + 10))
        XCTAssertTrue(health.isUsable("qh1", at: t0))
        XCTAssertEqual(health.recordFailure(of: "qh2", at: t0 + 50), .blacklisted(until: t0 + 60, times: 1))
        XCTAssertEqual(health.recordFailure(of: "qh2", at: t0 + 200), .setAside(until: t0 + 210), "the window starts over")
        XCTAssertEqual(health.recordFailure(of: "qh2", at: t0 + 220), .blacklisted(until: t0 + 240, times: 2), "doubled")
        XCTAssertEqual(health.nextReturn(after: t0 + 221), t0 + 240)
        health.drain("qh3")
        XCTAssertFalse(health.isUsable("qh3", at: t0 + 1e6))
    }
}

extension FailureDecisionTests {
    func testAConfigErrorOnEveryRank_isNamedFromTheFirstRanksLine() {
        let lines = ["rank 1: config key 'optim.lrx': unknown key", "rank 1: ending the whole job (MPI_Abort)",
                     "rank 0: config key 'optim.lrx': unknown key", "MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD",
                     "with errorcode 64."]
        XCTAssertEqual(JobReport(exitCode: 64, lines: lines).cause(placement: placement),
                       .usage(message: "rank 1: config key 'optim.lrx': unknown key"))
    }
}
