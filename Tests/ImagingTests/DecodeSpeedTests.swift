import TestSupport
import XCTest
import Foundation
import Imaging

/// Decode throughput on a RAF-DB-like image (100x100 aligned face JPEG). Skipped unless
/// QCS_BENCH=1, since timings mean little in a debug build or on a busy machine:
/// `QCS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter DecodeSpeedTests`.
final class DecodeSpeedTests: XCTestCase {
    func testDecodeSpeed_100x100JPEG() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["QCS_BENCH"] == "1", "set QCS_BENCH=1 to measure")
        // Smooth shading with a little noise: compresses like a photo, not like flat colour.
        var image = CodecTestImages.gradient(width: 100, height: 100)
        let noise = CodecTestImages.noise(width: 100, height: 100)
        for i in image.pixels.indices { image.pixels[i] = image.pixels[i] &+ noise.pixels[i] / 16 }
        let bytes = try ImageEncoder.encode(image, as: .jpeg(quality: 90))
        let scratch = try ScratchDirectory()
        let path = scratch.file("face.jpg")
        try ImageEncoder.write(image, to: path, as: .jpeg(quality: 90))
        let decoder = ImageDecoder()

        func rate(_ body: () throws -> Void) rethrows -> Double {
            let count = 2000
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<count { try body() }
            return Double(count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let memory = try rate { _ = try decoder.decode(bytes, source: "memory") }
        let file = try rate { _ = try decoder.decode(contentsOf: path) }
        print(String(format: "decode 100x100 JPEG (%d bytes, q90), one thread: %.0f images/s from memory, %.0f images/s from a file",
                     bytes.count, memory, file))
        XCTAssertGreaterThan(memory, 0)
    }
}
