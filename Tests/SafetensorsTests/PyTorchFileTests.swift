import Foundation
import XCTest
@testable import Safetensors
import Autograd

/// Reads a file written by PyTorch's own `safetensors` package
/// (scripts/reference/make_safetensors_fixture.py). It lives with the engine fixtures, the one
/// test folder whose Package.swift entry declares resources, so it is found from this source file.
final class PyTorchFileTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AutogradTests/Fixtures/pytorch_dtypes.safetensors").path

    func testReadsEveryDTypeWrittenByPyTorch() throws {
        let file = try SafetensorsFile(path: Self.fixture)
        XCTAssertEqual(file.metadata["format"], "pt")
        XCTAssertEqual(Set(file.tensorNames),
                       ["f32", "source", "f16", "bf16", "f64", "bn.num_batches_tracked", "i64", "i32", "empty", "mask"])
        XCTAssertEqual(try file.tensor(named: "f32").shape, [2, 3])
        XCTAssertEqual(try file.tensor(named: "f32").array, [1.5, -2.25, 0, 3.0e-8, 1e30, -7])
        XCTAssertEqual(try file.tensor(named: "f64").array, [Float(1.0 / 3.0), -0.0, 2.5, .infinity])
        XCTAssertEqual(try file.shape(of: "bn.num_batches_tracked"), [])
        XCTAssertEqual(try file.tensor(named: "bn.num_batches_tracked").array, [7])
        XCTAssertEqual(try file.integers(named: "i64"), [-3, 0, 1 << 40 + 1])
        XCTAssertEqual(try file.tensor(named: "i32").array, [1, -2, Float(1 << 30)])
        XCTAssertEqual(try file.tensor(named: "empty").shape, [0, 4])
        XCTAssertThrowsError(try file.tensor(named: "mask"))
    }

    /// PyTorch rounded `source` to F16 and BF16; our rounding of the same values must agree bit for bit.
    func testHalfPrecisionRounding_matchesPyTorch() throws {
        let file = try SafetensorsFile(path: Self.fixture)
        let source = try file.tensor(named: "source").array
        let f16 = try file.tensor(named: "f16").array
        let bf16 = try file.tensor(named: "bf16").array
        XCTAssertEqual(source.count, 216)
        for (i, x) in source.enumerated() {
            XCTAssertEqual(HalfPrecision.float(fromHalf: HalfPrecision.half(from: x)).bitPattern, f16[i].bitPattern, "F16 of \(x)")
            XCTAssertEqual(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: x)).bitPattern, bf16[i].bitPattern,
                           "BF16 of \(x)")
        }
    }
}
