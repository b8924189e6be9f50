import XCTest
@testable import Distributed
@testable import Trainer

final class RankHealthTests: XCTestCase {
    func reports(_ compute: [Double], data: Double = 0.01) -> [RankReport] {
        compute.map { seconds in
            var r = RankReport()
            r.samples = 4
            r.computeSeconds = seconds
            r.dataSeconds = data
            return r
        }
    }

    func testSlowRank_isNamedOnceWhenItFallsBehind_andWhenItCatchesUp() {
        var health = RankHealth(window: 5)
        var said: [RunMessage] = []
        for step in 1...5 { said += health.record(reports([0.2, 0.2, 0.2]), step: step) }
        XCTAssertTrue(said.isEmpty, "\(said)")
        XCTAssertNil(health.slowRank)
        for step in 6...15 { said += health.record(reports([0.2, 0.5, 0.2]), step: step) }
        XCTAssertEqual(health.slowRank, 1)
        XCTAssertEqual(said.count, 1, "said once, not every step: \(said)")
        XCTAssertEqual(said.first?.level, .warning)
        XCTAssertTrue(said.first?.text.contains("rank 1 is slow") ?? false, "\(said)")
        said = []
        for step in 16...25 { said += health.record(reports([0.2, 0.21, 0.2]), step: step) }
        XCTAssertNil(health.slowRank)
        XCTAssertEqual(said.map(\.text), ["rank 1 has caught up with the others"])
    }

    func testTwoRanks_comparesWithTheOtherRank_notWithAMedianThatIncludesTheSlowOne() {
        var health = RankHealth(window: 3)
        for step in 1...3 { _ = health.record(reports([0.2, 0.35]), step: step) }
        XCTAssertEqual(health.slowRank, 1, "1.75x the other rank")
        var even = RankHealth(window: 3)
        for step in 1...3 { _ = even.record(reports([0.2, 0.25]), step: step) }
        XCTAssertNil(even.slowRank, "1.25x is within the tolerance")
    }

    func testDataStallAndDataBoundRanks_areReported() {
        var health = RankHealth(window: 3)
        var stall = reports([0.2, 0.2])
        stall[1].dataSeconds = 12
        let said = health.record(stall, step: 7)
        XCTAssertTrue(said.contains { $0.text.contains("rank 1 waited 12.0 s for its batch at step 7") }, "\(said)")
        var bound = RankHealth(window: 3)
        var messages: [RunMessage] = []
        for step in 1...6 { messages += bound.record(reports([0.2], data: 0.2), step: step) }
        XCTAssertEqual(messages.filter { $0.text.contains("waits for data") }.count, 1, "\(messages)")
        XCTAssertEqual(bound.means.first?.step ?? 0, 0.4, accuracy: 1e-12)
    }
}
