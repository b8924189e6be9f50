import TestSupport
import XCTest
@testable import Imaging

final class PNGCodecTests: XCTestCase {
    let decoder = ImageDecoder()

    func decode(_ bytes: [UInt8], _ source: String = "test.png") throws -> RGBImage {
        try decoder.decode(bytes, source: source)
    }

    func testPNG_roundTrip_isExact() throws {
        let image = CodecTestImages.noise(width: 13, height: 7)
        let bytes = try ImageEncoder.encode(image, as: .png)
        XCTAssertEqual(bytes.withUnsafeBytes { ImageFormat.detect($0) }, .png)
        XCTAssertEqual(try decode(bytes), image)
    }

    func testPNG_handMadeRGB8_decodesAsWritten() throws {
        // Also checks the test's own PNG writer against the decoder on the plainest case.
        let rows: [[UInt8]] = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 250, 251, 252]]
        let bytes = HandMadePNG.make(width: 2, height: 2, bitDepth: 8, colorType: .rgb, rows: rows)
        XCTAssertEqual(try decode(bytes).pixels, rows.flatMap { $0 })
    }

    func testPNG_grey8_isReplicatedToRGB() throws {
        let bytes = HandMadePNG.make(width: 3, height: 1, bitDepth: 8, colorType: .grey, rows: [[0, 128, 255]])
        XCTAssertEqual(try decode(bytes).pixels, [0, 0, 0, 128, 128, 128, 255, 255, 255])
    }

    func testPNG_grey1bit_expandsToBlackAndWhite() throws {
        // 10 pixels 1,0,1,1,0,0,0,1 | 1,0 packed most significant bit first, padded to a byte.
        let bytes = HandMadePNG.make(width: 10, height: 1, bitDepth: 1, colorType: .grey, rows: [[0b1011_0001, 0b1000_0000]])
        let image = try decode(bytes)
        let reds = stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] }
        XCTAssertEqual(reds, [255, 0, 255, 255, 0, 0, 0, 255, 255, 0])
    }

    func testPNG_grey16_keepsTheHighByte() throws {
        let bytes = HandMadePNG.make(width: 2, height: 1, bitDepth: 16, colorType: .grey, rows: [[0x12, 0xFF, 0xAB, 0x01]])
        XCTAssertEqual(try decode(bytes).pixels, [0x12, 0x12, 0x12, 0xAB, 0xAB, 0xAB])
    }

    func testPNG_rgb16_keepsTheHighByte() throws {
        let row: [UInt8] = [0x10, 0x99, 0x20, 0x00, 0xFE, 0xFF]
        let bytes = HandMadePNG.make(width: 1, height: 1, bitDepth: 16, colorType: .rgb, rows: [row])
        XCTAssertEqual(try decode(bytes).pixels, [0x10, 0x20, 0xFE])
    }

    func testPNG_greyAlpha_dropsAlpha() throws {
        let bytes = HandMadePNG.make(width: 2, height: 1, bitDepth: 8, colorType: .greyAlpha, rows: [[40, 0, 200, 255]])
        XCTAssertEqual(try decode(bytes).pixels, [40, 40, 40, 200, 200, 200])
    }

    func testPNG_rgba_dropsAlphaWithoutCompositing() throws {
        // A fully transparent pixel keeps its colour (as Pillow's convert("RGB") does).
        let bytes = HandMadePNG.make(width: 2, height: 1, bitDepth: 8, colorType: .rgba,
                                     rows: [[10, 20, 30, 0, 200, 150, 100, 128]])
        XCTAssertEqual(try decode(bytes).pixels, [10, 20, 30, 200, 150, 100])
    }

    func testPNG_rgba16_dropsAlphaAndKeepsHighBytes() throws {
        let bytes = HandMadePNG.make(width: 1, height: 1, bitDepth: 16, colorType: .rgba,
                                     rows: [[0xA0, 1, 0xB0, 2, 0xC0, 3, 0x00, 0x00]])
        XCTAssertEqual(try decode(bytes).pixels, [0xA0, 0xB0, 0xC0])
    }

    func testPNG_palette_isExpandedAndTransparencyIgnored() throws {
        let palette: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
        let bytes = HandMadePNG.make(width: 3, height: 2, bitDepth: 8, colorType: .palette,
                                     rows: [[0, 1, 2], [2, 2, 0]], palette: palette, transparency: [0, 128])
        XCTAssertEqual(try decode(bytes).pixels, [255, 0, 0, 0, 255, 0, 0, 0, 255,
                                                  0, 0, 255, 0, 0, 255, 255, 0, 0])
    }

    func testPNG_palette4bit_isExpanded() throws {
        let palette: [(UInt8, UInt8, UInt8)] = [(1, 1, 1), (2, 2, 2), (3, 3, 3)]
        // Indices 2, 0, 1 at four bits each.
        let bytes = HandMadePNG.make(width: 3, height: 1, bitDepth: 4, colorType: .palette,
                                     rows: [[0x20, 0x10]], palette: palette)
        XCTAssertEqual(try decode(bytes).pixels, [3, 3, 3, 1, 1, 1, 2, 2, 2])
    }

    func testPNG_interlaced_decodesLikeTheSameImageNotInterlaced() throws {
        let image = CodecTestImages.noise(width: 5, height: 6)
        let plainRows = (0..<6).map { y in Array(image.pixels[(y * 15)..<((y + 1) * 15)]) }
        let plain = HandMadePNG.make(width: 5, height: 6, bitDepth: 8, colorType: .rgb, rows: plainRows)
        // Adam7: seven passes over sub-grids (x0, y0, dx, dy); each pass's rows are stored in turn.
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        var adamRows: [[UInt8]] = []
        for (x0, y0, dx, dy) in passes where x0 < 5 && y0 < 6 {
            for y in stride(from: y0, to: 6, by: dy) {
                adamRows.append(stride(from: x0, to: 5, by: dx).flatMap { x in
                    Array(image.pixels[image.index(x: x, y: y)..<(image.index(x: x, y: y) + 3)])
                })
            }
        }
        let interlaced = HandMadePNG.make(width: 5, height: 6, bitDepth: 8, colorType: .rgb, rows: adamRows, interlaced: true)
        XCTAssertEqual(try decode(plain), image)
        XCTAssertEqual(try decode(interlaced), image)
    }

    func testDecode_truncatedPNG_namesTheFile() throws {
        let scratch = try ScratchDirectory()
        let bytes = try PNGCodec.encode(CodecTestImages.noise(width: 40, height: 40))
        let path = try scratch.write("cut.png", Array(bytes.prefix(bytes.count / 2)))
        XCTAssertThrowsError(try decoder.decode(contentsOf: path)) { error in
            guard case ImageCodecError.corrupt(let file, .png, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue(reason.contains("truncated"), reason)
            XCTAssertTrue("\(error)".contains(path))
        }
    }

    func testDecode_pngCutInsideHeader_isCorrupt() throws {
        let bytes = try PNGCodec.encode(CodecTestImages.gradient(width: 8, height: 8))
        for length in [8, 12, 30] {
            XCTAssertThrowsError(try decode(Array(bytes.prefix(length)), "head-\(length)")) { error in
                guard case ImageCodecError.corrupt("head-\(length)", .png, _) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testDecode_pngMissingOnlyIEND_keepsAllPixels() throws {
        // Nothing after the image data affects the pixels; Pillow reads these as well.
        let image = CodecTestImages.noise(width: 6, height: 4)
        let bytes = try PNGCodec.encode(image)
        XCTAssertEqual(try decode(Array(bytes.dropLast(12))), image)
    }

    func testDecode_pngWithBadChecksum_isCorrupt() throws {
        var bytes = HandMadePNG.make(width: 2, height: 1, bitDepth: 8, colorType: .grey, rows: [[1, 2]])
        // IHDR's data starts at byte 16; change the width without fixing the CRC.
        bytes[19] = 3
        XCTAssertThrowsError(try decode(bytes, "crc.png")) { error in
            guard case ImageCodecError.corrupt("crc.png", .png, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.lowercased().contains("crc"), reason)
        }
    }

    func testDecode_pngLargerThanLimit_isRefusedBeforeAllocating() {
        // A header claiming 60000x60000 over a few bytes of data: refused from the header alone.
        let bytes = HandMadePNG.make(width: 60000, height: 60000, bitDepth: 8, colorType: .rgb, rows: [[]])
        XCTAssertThrowsError(try decode(bytes, "huge.png")) { error in
            XCTAssertEqual(error as? ImageCodecError,
                           .tooLarge(file: "huge.png", width: 60000, height: 60000, limit: ImageDecoder.defaultMaxPixels))
        }
    }
}
