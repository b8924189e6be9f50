import XCTest
@testable import Launch

final class HostListTests: XCTestCase {
    func testHostsOption_namesAndSlots() throws {
        XCTAssertEqual(try HostList.parse("qh1:2,qh2, qh3:1"),
                       [MPIHost(name: "qh1", slots: 2), MPIHost(name: "qh2", slots: 1), MPIHost(name: "qh3", slots: 1)])
    }

    func testHostsOption_mistakesAreNamed() {
        for (text, says) in [("qh1,,qh2", "an empty host name"), ("qh1:0", "slots in 'qh1:0' must be a whole number"),
                             ("qh1:x", "slots in 'qh1:x'"), ("a:1:2", "'a:1:2' is not name or name:slots"),
                             ("qh1,qh1:2", "host qh1 is named twice")] {
            XCTAssertThrowsError(try HostList.parse(text)) { error in
                XCTAssertTrue("\(error)".contains(says), "\(text): \(error)")
            }
        }
    }

    func testHostfile_openMPIForms_commentsAndBlankLines() throws {
        let text = "# cluster\nn1 slots=4 max_slots=8\n\nn2:2   # a comment\n\tn3\n"
        XCTAssertEqual(try HostList.hostfile(text, source: "hosts.txt"),
                       [MPIHost(name: "n1", slots: 4), MPIHost(name: "n2", slots: 2), MPIHost(name: "n3", slots: 1)])
        XCTAssertThrowsError(try HostList.hostfile("n1 cpus=4\n", source: "h")) { error in
            XCTAssertEqual("\(error)", "h line 1: 'cpus=4' is not slots=N")
        }
        XCTAssertThrowsError(try HostList.hostfile("# nothing\n", source: "h")) { error in
            XCTAssertEqual("\(error)", "h names no host")
        }
    }

    func testSlurmNodeList_expandsRangesWithTheirPadding() throws {
        XCTAssertEqual(try SlurmNodeList.expand("qh[1-3]"), ["qh1", "qh2", "qh3"])
        XCTAssertEqual(try SlurmNodeList.expand("gpu[01,05-06]-ib,login"), ["gpu01-ib", "gpu05-ib", "gpu06-ib", "login"])
        XCTAssertEqual(try SlurmNodeList.expand("node7"), ["node7"])
        XCTAssertEqual(try SlurmNodeList.expandCounts("2(x3),1"), [2, 2, 2, 1])
        XCTAssertThrowsError(try SlurmNodeList.expand("qh[1-3"))
        XCTAssertThrowsError(try SlurmNodeList.expand("qh[3-1]"))
        XCTAssertThrowsError(try SlurmNodeList.expandCounts("2(3)"))
    }

    func testSlurmAllocation_hostsWithTheirTaskCounts() throws {
        XCTAssertEqual(try HostList.slurm(nodeList: "n[1-2],m", tasksPerNode: "2(x2),1"),
                       [MPIHost(name: "n1", slots: 2), MPIHost(name: "n2", slots: 2), MPIHost(name: "m", slots: 1)])
        XCTAssertEqual(try HostList.slurm(nodeList: "n[1-2]", tasksPerNode: nil).map(\.slots), [1, 1])
        XCTAssertThrowsError(try HostList.slurm(nodeList: "n[1-2]", tasksPerNode: "1")) { error in
            XCTAssertTrue("\(error)".contains("gives 1 counts for 2 nodes"), "\(error)")
        }
    }

    func testPlacement_fillsEachHostsSlotsInOrder() {
        let p = JobPlacement(hosts: [MPIHost(name: "a", slots: 2), MPIHost(name: "b", slots: 1)])
        XCTAssertEqual(p.ranks, 3)
        XCTAssertEqual((0..<4).map { p.host(ofRank: $0) }, ["a", "a", "b", nil])
        XCTAssertEqual(p.hostArgument, "a:2,b:1")
    }
}
