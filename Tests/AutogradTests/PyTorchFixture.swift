import Autograd
import Foundation
import Safetensors
import XCTest

/// One golden case from Tests/AutogradTests/Fixtures (written by
/// scripts/reference/make_engine_fixtures.py; the README there lists the cases and names):
/// inputs and parameters, the upstream gradient `dy`, the output `y` and a gradient `dname` for
/// every input `name`, with hyper-parameters as string metadata.
struct PyTorchFixture {
    let name: String
    let file: SafetensorsFile

    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    init(_ name: String) throws {
        self.name = name
        file = try SafetensorsFile(path: Self.directory.appendingPathComponent("\(name).safetensors").path)
    }

    func tensor(_ key: String) throws -> Tensor { try file.tensor(named: key) }
    func has(_ key: String) -> Bool { file.contains(key) }
    func integers(_ key: String) throws -> [Int] { try file.integers(named: key) }

    /// Metadata `key` as a number; fails the test (and gives NaN / 0) when absent or malformed.
    func float(_ key: String, file: StaticString = #filePath, line: UInt = #line) -> Float {
        guard let s = self.file.metadata[key], let v = Float(s) else {
            XCTFail("\(name): metadata '\(key)' missing or not a number", file: file, line: line)
            return .nan
        }
        return v
    }

    func int(_ key: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        guard let s = self.file.metadata[key], let v = Int(s) else {
            XCTFail("\(name): metadata '\(key)' missing or not an integer", file: file, line: line)
            return 0
        }
        return v
    }

    /// Checks `actual` against fixture tensor `key`: same shape, and |a − e| ≤ atol + rtol·|e|
    /// everywhere. The message gives the worst element and how many are off.
    func expect(_ actual: Tensor?, matches key: String, rtol: Float = 1e-4, atol: Float = 1e-5,
                file: StaticString = #filePath, line: UInt = #line) {
        guard let actual else {
            return XCTFail("\(name).\(key): no value (a gradient that never reached its leaf?)", file: file, line: line)
        }
        let expected: Tensor
        do { expected = try tensor(key) } catch { return XCTFail("\(error)", file: file, line: line) }
        guard actual.shape == expected.shape else {
            return XCTFail("\(name).\(key): shape \(actual.shape), PyTorch \(expected.shape)", file: file, line: line)
        }
        var bad = 0, worst = -1, worstExcess: Float = 0
        for i in 0..<expected.count {
            let (a, e) = (actual[i], expected[i])
            let excess = abs(a - e) - (atol + rtol * abs(e))
            if excess > 0 || a.isNaN {
                bad += 1
                if worst < 0 || excess > worstExcess || a.isNaN { (worst, worstExcess) = (i, excess) }
            }
        }
        if bad > 0 {
            XCTFail("\(name).\(key): \(bad) of \(expected.count) elements off; worst [\(worst)] = \(actual[worst]), "
                    + "PyTorch \(expected[worst])", file: file, line: line)
        }
    }
}
