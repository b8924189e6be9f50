import CJPEG
import CPNG
import XCTest
@testable import Imaging

/// Both C shims answer with the status codes `ShimCall` reads; a shim that renumbers them fails here.
final class ShimCallTests: XCTestCase {
    func testStatusCodes_areTheShims() {
        XCTAssertEqual(ShimCall.done, Int(QCS_JPEG_OK))
        XCTAssertEqual(ShimCall.tooLarge, Int(QCS_JPEG_TOO_LARGE))
        XCTAssertEqual(ShimCall.outOfMemory, Int(QCS_JPEG_NO_MEMORY))
        XCTAssertEqual(ShimCall.done, Int(QCS_PNG_OK))
        XCTAssertEqual(ShimCall.tooLarge, Int(QCS_PNG_TOO_LARGE))
        XCTAssertEqual(ShimCall.outOfMemory, Int(QCS_PNG_NO_MEMORY))
    }

    func testLibraryRefusal_namesTheSourceAndFormat() {
        let garbage: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2, 3, 4]
        XCTAssertThrowsError(try ImageDecoder().decode(garbage, source: "broken.jpg")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("broken.jpg"), text)
        }
    }
}
