import Foundation
import XCTest
@testable import Distributed

final class RequestPollingTests: XCTestCase {
    private struct Failure: Error {}

    func testReturnsOnceDone_withoutSleepingWhenDoneEarly() {
        var calls = 0
        let start = Date()
        RequestPolling().wait { calls += 1; return calls == 3 }
        XCTAssertEqual(calls, 3)
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    /// A peer that is late must not be polled in a busy loop: over 30 ms a spinning wait calls
    /// MPI_Test hundreds of thousands of times, a sleeping one a few hundred at most
    /// (30 ms / 200 µs plus the spin phase's calls, which are bounded by its 50 µs).
    func testSleepsBetweenPollsOnceTheSpinIsOver() {
        let polling = RequestPolling(spinNanoseconds: 0, firstSleepMicroseconds: 10, longestSleepMicroseconds: 200)
        let end = Date().addingTimeInterval(0.03)
        var calls = 0
        polling.wait { calls += 1; return Date() >= end }
        XCTAssertGreaterThanOrEqual(Date(), end)
        XCTAssertGreaterThan(calls, 1)
        XCTAssertLessThan(calls, 30_000 / 200 + 20)
    }

    func testErrorsOfThePollReachTheCaller() {
        var calls = 0
        XCTAssertThrowsError(try RequestPolling().wait { calls += 1; if calls == 2 { throw Failure() }; return false }) {
            XCTAssertTrue($0 is Failure)
        }
        XCTAssertEqual(calls, 2)
    }
}
