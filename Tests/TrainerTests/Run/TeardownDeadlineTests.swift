import XCTest
@testable import Trainer

final class TeardownDeadlineTests: XCTestCase {
    /// Armed after a run has reported, the deadline fires once its time is up, naming the rank and
    /// the status the process then exits with.
    func testTheDeadline_firesWithTheOutcomesStatus() {
        let fired = expectation(description: "fired")
        TeardownDeadline.arm(rank: 2, status: 1, seconds: 0.05) { message, status in
            XCTAssertEqual(status, 1)
            XCTAssertTrue(message.hasPrefix("rank 2: the run has ended, but letting go of its threads took more than 0.05 s"),
                          message)
            fired.fulfill()
        }
        wait(for: [fired], timeout: 5)
    }
}
