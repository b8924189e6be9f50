import XCTest
@testable import Autograd

final class EngineOptionsTests: XCTestCase {
    func testEnvironment_unsetOrEmpty_keepsTheDefaults() throws {
        XCTAssertEqual(try EngineOptions(environment: [:]), EngineOptions())
        let empty = ["QCS_WINOGRAD_TILE": "", "QCS_BF16_CONV": "", "QCS_OPENBLAS_THREADS": ""]
        XCTAssertEqual(try EngineOptions(environment: empty), EngineOptions())
        XCTAssertEqual(EngineOptions().winogradTile, .f4x4)
        XCTAssertEqual(EngineOptions().bf16Conv, .automatic)
        XCTAssertEqual(EngineOptions().gemmThreads, .poolBlocks)
    }

    func testEnvironment_setsEachSwitch() throws {
        let options = try EngineOptions(environment: ["QCS_WINOGRAD_TILE": "2", "QCS_BF16_CONV": "gemm",
                                                      "QCS_OPENBLAS_THREADS": "1"])
        XCTAssertEqual(options, EngineOptions(winogradTile: .f2x2, bf16Conv: .gemm, gemmThreads: .openBLAS))
        XCTAssertEqual(try EngineOptions(environment: ["QCS_OPENBLAS_THREADS": "0"]).gemmThreads, .poolBlocks)
        XCTAssertEqual(try EngineOptions(environment: ["QCS_BF16_CONV": "winograd"]).bf16Conv, .winograd)
    }

    func testEnvironment_unknownValue_isAnErrorNamingTheVariable() {
        for (name, value) in [("QCS_WINOGRAD_TILE", "3"), ("QCS_BF16_CONV", "GEMM"), ("QCS_OPENBLAS_THREADS", "yes")] {
            XCTAssertThrowsError(try EngineOptions(environment: [name: value])) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("\(name)=\(value) is not a value it takes"), text)
                XCTAssertTrue(text.contains("or unset it"), text)
            }
        }
    }

    /// Each pool keeps its own switches: making a second one (a benchmark's, a test's) does not
    /// change how the first cuts its products, as the process-wide block count once did.
    func testPools_keepTheirOwnSwitches() {
        let blocks = ComputePool(threads: 3)
        let whole = ComputePool(threads: 3, options: EngineOptions(gemmThreads: .openBLAS))
        _ = ComputePool(threads: 1)
        XCTAssertEqual(blocks.productBlocks, 3)
        XCTAssertEqual(whole.productBlocks, 1)
        var seen: [Int] = []
        let lock = NSLock()
        blocks.forEachProductBlock(m: 64, n: 600, k: 512) { _, columns in
            lock.lock(); seen.append(columns.lowerBound); lock.unlock()
        }
        XCTAssertEqual(seen.sorted(), [0, 208, 416], "600 columns in blocks of whole 16-wide groups")
    }

    func testWinogradTile_comesFromTheOptions() {
        let geo = ConvGeometry(input: [1, 16, 8, 8], weight: [16, 16, 3, 3], stride: 1, padding: 1)
        for tile in EngineOptions.WinogradTile.allCases {
            guard case .winograd(let plan) = ConvKernel(geo, options: EngineOptions(winogradTile: tile)) else {
                return XCTFail("a 3x3 stride-1 conv of 16 channels is Winograd's")
            }
            XCTAssertEqual(plan.tile, tile)
        }
    }
}
