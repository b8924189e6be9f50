import TestSupport
import XCTest
import Foundation
@testable import Distributed
@testable import Trainer

/// The stall watchdog: one report per stall, with the collective the rank waits in, a state file
/// beside its log; and the verdict rank 0 draws from the state files.
final class StallWatchdogTests: ScratchTestCase {
    func testAPhaseUnchangedForTooLong_isReportedOnce_withTheCollectiveInFlight() throws {
        let log = RankLog(rank: 1, level: .info)
        try log.open(runDirectory: scratch)
        let activity = RankActivity(), recorder = FlightRecorder(capacity: 4)
        let watchdog = StallWatchdog(.init(seconds: 10, abort: false), rank: 1, size: 2, activity: activity,
                                     recorder: recorder, log: log, runDirectory: scratch, abort: { XCTFail("no abort") })
        activity.enter(.decision, step: 7)
        for _ in 0..<5 { recorder.end(recorder.begin("main", "#1 barrier")) }
        _ = recorder.begin("main", "#6 allgather of 3 int64")
        XCTAssertFalse(watchdog.look(now: Date(timeIntervalSinceNow: 5)), "5 s is not a stall")
        XCTAssertTrue(watchdog.look(now: Date(timeIntervalSinceNow: 11)))
        XCTAssertFalse(watchdog.look(now: Date(timeIntervalSinceNow: 20)), "the same stall is reported once")

        let text = try String(contentsOfFile: log.path!, encoding: .utf8)
        XCTAssertTrue(text.contains("rank 1 warning stalled: step 7, phase decision for 11 s, waiting in main #6 allgather of 3 int64"),
                      text)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: StallWatchdog.statePath(runDirectory: scratch, rank: 1)))
        let state = try JSONDecoder().decode(RankState.self, from: data)
        XCTAssertEqual(state.step, 7)
        XCTAssertEqual(state.phase, "decision")
        XCTAssertEqual(state.inFlight.count, 1)
        XCTAssertEqual(state.recent.count, 4, "the recorder keeps its last 4")

        activity.enter(.update, step: 7)
        XCTAssertTrue(watchdog.look(now: Date(timeIntervalSinceNow: 11)), "a new stall after progress is reported again")
    }

    func testVerdict_namesTheRankNotInACollective_andTheSilentOnes() {
        func state(_ rank: Int, step: Int, waiting: Bool) -> RankState {
            RankState(rank: rank, step: step, phase: waiting ? "decision" : "compute", secondsInPhase: 40,
                      inFlight: waiting ? ["main #20 allgather of 3 int64 (waiting 40.0 s)"] : [], recent: [], time: 0)
        }
        let verdict = StallVerdict(states: [0: state(0, step: 2, waiting: true), 1: state(1, step: 2, waiting: false),
                                            2: state(2, step: 2, waiting: true)], size: 4)
        XCTAssertEqual(verdict.behind, [1])
        XCTAssertTrue(verdict.text.contains("rank 1 is behind: step 2, phase compute for 40 s, not in a collective"), verdict.text)
        XCTAssertTrue(verdict.text.contains("ranks 0, 2 wait in main #20 allgather"), verdict.text)
        XCTAssertTrue(verdict.text.contains("rank 3 wrote no state"), verdict.text)

        let earlier = StallVerdict(states: [0: state(0, step: 5, waiting: true), 1: state(1, step: 4, waiting: true)], size: 2)
        XCTAssertEqual(earlier.behind, [1], "a rank at an earlier step is behind even inside a collective")
    }
}
