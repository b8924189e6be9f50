import XCTest
@testable import DataPipeline

final class FERPlusVotesTests: XCTestCase {
    func outcome(_ pairs: [(column: Int, count: Int)]) -> FERPlusVotes.Outcome? {
        FERPlusVotes(DatasetFixtures.votes(pairs))?.outcome
    }

    func testVotes_moreThanHalf_givesThatEmotionsLabel() {
        XCTAssertEqual(outcome([(1, 6), (0, 4)]), .label(1))
        XCTAssertEqual(outcome([(7, 9), (9, 1)]), .label(7), "contempt is a class in FERPlus")
        XCTAssertEqual(outcome([(3, 1)]), .label(3), "a single vote is all of the votes")
    }

    func testVotes_exactlyHalf_isNoMajority() {
        XCTAssertEqual(outcome([(2, 5), (4, 3), (5, 2)]), .noMajority)
    }

    func testVotes_tieBetweenTwoEmotions_isNoMajority() {
        XCTAssertEqual(outcome([(0, 5), (6, 5)]), .noMajority)
    }

    func testVotes_unknownAndNotAFaceCountTowardTheTotal() {
        // 4 of 10 is the most, but not more than half once the unknown and NF votes count.
        XCTAssertEqual(outcome([(1, 4), (8, 3), (9, 3)]), .noMajority)
    }

    func testVotes_majorityUnknown_isUnknown() {
        XCTAssertEqual(outcome([(8, 6), (0, 4)]), .unknown)
    }

    func testVotes_majorityNotAFace_isNotAFace() {
        XCTAssertEqual(outcome([(9, 10)]), .notAFace)
    }

    func testVotes_allZero_isNoVotes() {
        XCTAssertEqual(outcome([]), .noVotes)
    }

    func testVotes_wrongCountOrNegative_isRefused() {
        XCTAssertNil(FERPlusVotes([1, 2, 3]))
        XCTAssertNil(FERPlusVotes([-1, 0, 0, 0, 0, 0, 0, 0, 0, 11]))
    }
}
