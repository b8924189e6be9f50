import XCTest
@testable import Checkpoint

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 example messages.
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIncrementalUpdates_inAnyPiecesGiveTheSameDigest() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let whole = SHA256.hex(bytes)
        for piece in [1, 7, 63, 64, 65, 999] {
            var h = SHA256()
            var at = 0
            while at < bytes.count {
                let end = min(at + piece, bytes.count)
                h.update(Array(bytes[at..<end]))
                at = end
            }
            XCTAssertEqual(h.hexDigest(), whole, "pieces of \(piece)")
        }
    }
}
