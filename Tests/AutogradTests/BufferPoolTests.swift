import XCTest
@testable import Autograd

/// The activation pool: exact sizes first, then a parked buffer at most `slack` times larger,
/// which goes back to the list of its own size.
final class BufferPoolTests: XCTestCase {
    func testParkedBuffer_isLentToASmallerRequest_withinSlack_andReturnsToItsOwnSize() {
        let pool = BufferPool()
        var first: Storage? = Storage(count: 100, pool: pool)
        let pointer = first!.pointer
        first = nil
        XCTAssertEqual(pool.bytesInUse, 0)
        XCTAssertEqual(pool.bytesReserved, 400)

        var lent: Storage? = Storage(count: 80, pool: pool)
        XCTAssertEqual(lent!.pointer, pointer, "80 floats fit the parked 100 (within 1.5x)")
        XCTAssertEqual(lent!.count, 80)
        XCTAssertEqual(pool.bytesInUse, 400, "in use counts what was lent")
        XCTAssertEqual(pool.bytesReserved, 400, "nothing new allocated")

        let small = Storage(count: 60, pool: pool)
        XCTAssertNotEqual(small.pointer, pointer)
        XCTAssertEqual(pool.bytesReserved, 640, "60 floats: the 100 are lent out, a new buffer")
        lent = nil
        XCTAssertEqual(pool.bytesInUse, 240)

        let again = Storage(count: 100, pool: pool)
        XCTAssertEqual(again.pointer, pointer, "the lent buffer came back as a 100-float one")
        XCTAssertEqual(pool.bytesReserved, 640)
        withExtendedLifetime([small, again]) {}
    }

    func testParkedBuffer_tooLarge_isNotLent() {
        let pool = BufferPool()
        var big: Storage? = Storage(count: 100, pool: pool)
        let pointer = big!.pointer
        big = nil
        let small = Storage(count: 66, pool: pool)
        XCTAssertNotEqual(small.pointer, pointer, "100 floats for 66 is past 1.5x")
        XCTAssertEqual(pool.bytesReserved, 400 + 264)
        XCTAssertEqual(pool.peakBytesInUse, 400)
        withExtendedLifetime(small) {}
    }
}
