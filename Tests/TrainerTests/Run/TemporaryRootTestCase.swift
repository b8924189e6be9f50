import XCTest
import Foundation

/// A test case with a fresh folder `root` (not yet created) under the temporary directory,
/// removed afterwards.
class TemporaryRootTestCase: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "qcs-\(type(of: self))-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }
}
