import Foundation
import XCTest

/// A test case with a fresh temporary folder per test (`scratch`, not yet created: a checkpoint
/// save makes its own root), removed afterwards.
class ScratchDirectoryTestCase: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("qcs-\(type(of: self))-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: scratch) }
}
