import XCTest
@testable import Distributed

/// `distributed.debug`: collectives that agree pass through unchanged; ones that differ stop
/// every rank with an error naming each rank's call, instead of a hang.
final class CheckedCommunicatorTests: XCTestCase {
    func testAgreeingCollectives_passTheCommunicatorSelfTest() throws {
        let failures = try InProcessWorld.run(size: 3) { comm in
            try CommunicatorSelfTest.run(CheckedCommunicator(comm))
        }
        XCTAssertEqual(failures, [[], [], []])
    }

    func testDifferentCounts_failOnEveryRank_namingEachRanksCall() throws {
        let errors = try InProcessWorld.run(size: 3, timeout: 20) { comm -> String in
            let checked = CheckedCommunicator(comm)
            var ones = [Float](repeating: 1, count: 4)
            try checked.allreduce(&ones, .sum)
            XCTAssertEqual(ones, [3, 3, 3, 3])
            var values = [Float](repeating: 1, count: comm.rank == 2 ? 5 : 4)
            do {
                try checked.allreduce(&values, .sum)
                return "no error"
            } catch let error as CommunicationError {
                return "\(error)"
            }
        }
        XCTAssertEqual(Set(errors).count, 1, "every rank reports the same: \(errors)")
        XCTAssertTrue(errors[0].contains("ranks 0-1: #2 allreduce(sum) of 4 float32"), errors[0])
        XCTAssertTrue(errors[0].contains("rank 2: #2 allreduce(sum) of 5 float32"), errors[0])
        XCTAssertTrue(errors[0].contains("communicator main"), errors[0])
    }

    func testOneRankInABarrier_othersInABroadcast_isCaughtNotHung() throws {
        let errors = try InProcessWorld.run(size: 2, timeout: 20) { comm -> String in
            let checked = CheckedCommunicator(comm)
            do {
                if comm.rank == 1 {
                    try checked.barrier()
                } else {
                    var x: [Double] = [1, 2, 3]
                    try x.withUnsafeMutableBufferPointer { try checked.broadcast($0, root: 0) }
                }
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(errors[0], errors[1])
        XCTAssertTrue(errors[0].contains("rank 0: #1 broadcast(root 0) of 3 float64; rank 1: #1 barrier"), errors[0])
    }

    func testDuplicate_isCheckedWithItsOwnSequence_andDetailLogsEachCall() throws {
        let lines = try InProcessWorld.run(size: 2) { comm -> [String] in
            let log = LineCollector()
            let checked = CheckedCommunicator(comm, logsEachCall: true) { log.add($0) }
            try checked.barrier()
            let copy = try checked.duplicate()
            var x: [Int64] = [Int64(comm.rank)]
            try copy.allreduce(&x, .max)
            XCTAssertEqual(x, [1])
            return log.lines
        }
        for rankLines in lines {
            XCTAssertEqual(rankLines.count, 3, "\(rankLines)")
            XCTAssertTrue(rankLines[0].hasPrefix("collective main #1 barrier: 0 bytes, "), rankLines[0])
            XCTAssertTrue(rankLines[1].hasPrefix("collective main #2 duplicate: "), rankLines[1])
            XCTAssertTrue(rankLines[2].hasPrefix("collective main/1 #1 allreduce(max) of 1 int64: 8 bytes, "), rankLines[2])
        }
    }

    func testRankRanges_areWrittenCompactly() {
        XCTAssertEqual(CommunicationError.ranges([0, 2, 3, 4, 5, 7]), "0, 2-5, 7")
        XCTAssertEqual(CommunicationError.ranges([3]), "3")
    }
}

private final class LineCollector: @unchecked Sendable {
    private var stored: [String] = []
    private let lock = NSLock()
    func add(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// The names `CallSite` puts in a mismatch report: what the compiler wraps around a function
/// is taken off, parameter types are left out.
final class CallSiteTests: XCTestCase {
    func testDemangledNames_areShortenedToTheFunctionAndItsLabels() {
        XCTAssertEqual(CallSite.shortened(CallSite.core(
            "Trainer.TestFault.inject(step: Swift.Int, over: Distributed.Communicator) throws -> ()")),
                       "Trainer.TestFault.inject(step:over:)")
        XCTAssertEqual(CallSite.shortened(CallSite.core(
            "static Distributed.StepDecision.gather(_: Distributed.RankReport, over: Distributed.Communicator) throws -> "
            + "Distributed.StepDecision")), "Distributed.StepDecision.gather(_:over:)")
        XCTAssertEqual(CallSite.core("generic specialization <Swift.Float> of (extension in Distributed):"
                                     + "Distributed.Communicator.allreduce<A>(_: inout [A], _: Distributed.ReduceOperation) throws -> ()"),
                       "Distributed.Communicator.allreduce<A>(_: inout [A], _: Distributed.ReduceOperation) throws -> ()")
        XCTAssertEqual(CallSite.shortened(CallSite.core("closure #1 () throws -> () in Trainer.TrainingRun.run() throws -> "
                                                        + "Trainer.TrainingRun.Outcome")), "Trainer.TrainingRun.run()")
        XCTAssertEqual(CallSite.shortened("f(_: [Swift.Int: (Swift.Int, Swift.Int)], b: Swift.Int)"), "f(_:b:)")
    }
}
