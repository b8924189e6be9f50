import Foundation
import XCTest

/// A test case with a fresh path per test, `scratch`, under the temporary directory: not made
/// (a checkpoint save or a run makes its own folder), removed afterwards with all it holds.
open class ScratchTestCase: XCTestCase {
    public var scratch = ""

    override open func setUpWithError() throws {
        scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("qcs-\(type(of: self))-\(UUID().uuidString)")
    }

    override open func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: scratch) }
}

/// A test case with a fresh `SyntheticRunFolder` per test holding `trainCount` drawn training
/// faces (28 by default), removed afterwards: for tests that train the tiny model end to end.
open class SyntheticRunTestCase: XCTestCase {
    public var folder: SyntheticRunFolder!
    public var root: String { folder.root }
    /// Training images of the folder's synthetic set (nil: no data written).
    open var trainCount: Int? { 28 }

    override open func setUpWithError() throws {
        folder = try SyntheticRunFolder("\(type(of: self))", trainCount: trainCount)
    }

    override open func tearDownWithError() throws { folder?.remove() }
}
