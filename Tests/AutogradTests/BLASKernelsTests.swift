import XCTest
@testable import Autograd

final class BLASKernelsTests: XCTestCase {
    func testWarning_onlyForPreAVX2KernelsOnAnAVX2CPU() {
        XCTAssertNotNil(BLASKernels.warning(kernels: "Prescott", cpuFlags: ["sse3", "avx2", "avx512f"]))
        XCTAssertTrue(BLASKernels.warning(kernels: "Prescott", cpuFlags: ["avx2", "avx512f"])!.contains("SkylakeX"))
        XCTAssertFalse(BLASKernels.warning(kernels: "Nehalem", cpuFlags: ["avx2"])!.contains("SkylakeX"))
        XCTAssertNil(BLASKernels.warning(kernels: "Haswell", cpuFlags: ["avx2", "avx512f"]))
        XCTAssertNil(BLASKernels.warning(kernels: "Prescott", cpuFlags: ["sse3"]), "an old CPU gets the right kernels")
    }
}
