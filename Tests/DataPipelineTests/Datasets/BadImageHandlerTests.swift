import TestSupport
@testable import Imaging
import XCTest
import Foundation
@testable import DataPipeline

final class BadImageHandlerTests: XCTestCase {
    func samples(_ scratch: ScratchDirectory) throws -> [Sample] {
        try DatasetFixtures.writeJPEG(scratch, "good.jpg")
        try scratch.write("bad.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00])
        try scratch.write("text.jpg", text: "hello")
        return [Sample(source: .file(scratch.file("good.jpg")), label: 0),
                Sample(source: .file(scratch.file("bad.jpg")), label: 1),
                Sample(source: .file(scratch.file("text.jpg")), label: 1),
                Sample(source: .file(scratch.file("gone.jpg")), label: 2)]
    }

    func testSkip_returnsNilAndListsEachBadImage() throws {
        let scratch = try ScratchDirectory()
        let handler = BadImageHandler(policy: .skip)
        let loaded = try samples(scratch).map { try handler.load($0) }
        XCTAssertEqual(loaded.map { $0 != nil }, [true, false, false, false])
        XCTAssertEqual(handler.skipped.map(\.file), [scratch.file("bad.jpg"), scratch.file("text.jpg"), scratch.file("gone.jpg")])
        XCTAssertEqual(handler.skipped.map(\.category), ["unreadable image", "unreadable image", "unreadable image"])
        XCTAssertFalse("\(handler.skipped[0])".contains("\(scratch.file("bad.jpg")): \(scratch.file("bad.jpg"))"),
                       "the file is named once")
    }

    func testStop_throwsTheCodecErrorNamingTheFile() throws {
        let scratch = try ScratchDirectory()
        let handler = BadImageHandler(policy: .stop)
        let all = try samples(scratch)
        XCTAssertNotNil(try handler.load(all[0]))
        XCTAssertThrowsError(try handler.load(all[1])) { error in
            XCTAssertEqual((error as? ImageCodecError)?.file, scratch.file("bad.jpg"))
        }
        XCTAssertTrue(handler.skipped.isEmpty)
    }

    /// A bad image met in many quadruplets and epochs is one image dropped, not one per meeting.
    func testSkip_fromManyThreads_recordsEveryBadImageOnce() throws {
        let scratch = try ScratchDirectory()
        let all = try samples(scratch)
        let handler = BadImageHandler(policy: .skip)
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            _ = try? handler.load(all[i % all.count])
        }
        XCTAssertEqual(Set(handler.skipped.map(\.file)), [scratch.file("bad.jpg"), scratch.file("text.jpg"), scratch.file("gone.jpg")])
        XCTAssertEqual(handler.skipped.count, 3)
    }

    func testUnreadableImages_decodesTheWholeDataSet() throws {
        let scratch = try ScratchDirectory()
        let data = LabeledDataset(kind: .list, classNames: ["a", "b", "c"], splits: [.train: try samples(scratch)])
        XCTAssertEqual(data.unreadableImages().map(\.file), [scratch.file("bad.jpg"), scratch.file("text.jpg"), scratch.file("gone.jpg")])
    }
}
