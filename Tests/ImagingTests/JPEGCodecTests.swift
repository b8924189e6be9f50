import TestSupport
import XCTest
@testable import Imaging

final class JPEGCodecTests: XCTestCase {
    let decoder = ImageDecoder()

    func testJPEG_roundTrip_keepsSizeAndStaysClose() throws {
        let image = CodecTestImages.gradient(width: 33, height: 20)
        let bytes = try ImageEncoder.encode(image, as: .jpeg(quality: 95))
        XCTAssertEqual(bytes.withUnsafeBytes { ImageFormat.detect($0) }, .jpeg)
        let decoded = try decoder.decode(bytes, source: "memory")
        XCTAssertEqual(decoded.width, 33)
        XCTAssertEqual(decoded.height, 20)
        let diff = CodecTestImages.difference(image, decoded)
        XCTAssertLessThan(diff.mean, 3, "a smooth image at quality 95 should come back nearly unchanged")
        XCTAssertLessThan(diff.max, 40)
    }

    func testJPEG_lowerQuality_isSmallerAndFurther() throws {
        let image = CodecTestImages.noise(width: 24, height: 24)
        let high = try JPEGCodec.encode(image, quality: 95)
        let low = try JPEGCodec.encode(image, quality: 20)
        XCTAssertLessThan(low.count, high.count)
        let highDiff = CodecTestImages.difference(image, try decoder.decode(high, source: "high"))
        let lowDiff = CodecTestImages.difference(image, try decoder.decode(low, source: "low"))
        XCTAssertLessThan(highDiff.mean, lowDiff.mean)
    }

    func testJPEG_qualityOutOfRange_isAnEncodeError() {
        let image = CodecTestImages.gradient(width: 4, height: 4)
        for quality in [0, 101] {
            XCTAssertThrowsError(try JPEGCodec.encode(image, quality: quality)) { error in
                guard case ImageCodecError.encodeFailed(.jpeg, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("\(quality)"), reason)
            }
        }
    }

    func testEncode_imageWithoutPixels_isAnEncodeError() {
        let empty = RGBImage(width: 0, height: 5)
        XCTAssertThrowsError(try ImageEncoder.encode(empty, as: .jpeg(quality: 90)))
        XCTAssertThrowsError(try ImageEncoder.encode(empty, as: .png))
    }

    func testDecode_truncatedJPEG_namesTheFile() throws {
        let scratch = try ScratchDirectory()
        let bytes = try JPEGCodec.encode(CodecTestImages.noise(width: 64, height: 64), quality: 90)
        let path = try scratch.write("cut.jpg", Array(bytes.prefix(bytes.count / 2)))
        XCTAssertThrowsError(try decoder.decode(contentsOf: path)) { error in
            guard case ImageCodecError.corrupt(let file, .jpeg, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue("\(error)".contains(path))
        }
    }

    func testDecode_jpegCutInsideHeader_isCorrupt() throws {
        let whole = try JPEGCodec.encode(CodecTestImages.gradient(width: 16, height: 16), quality: 80)
        for length in [3, 20, 200] {
            let bytes = Array(whole.prefix(length))
            XCTAssertThrowsError(try decoder.decode(bytes, source: "head-\(length)")) { error in
                guard case ImageCodecError.corrupt("head-\(length)", .jpeg, _) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testDecode_jpegMissingOnlyTheEndMarker_isTruncated() throws {
        // Pillow refuses these too (without LOAD_TRUNCATED_IMAGES): libjpeg reads ahead past the
        // last scanline's data and finds the file over.
        let bytes = try JPEGCodec.encode(CodecTestImages.noise(width: 16, height: 16), quality: 90)
        XCTAssertEqual(Array(bytes.suffix(2)), [0xFF, 0xD9])
        XCTAssertNoThrow(try decoder.decode(bytes, source: "whole"))
        XCTAssertThrowsError(try decoder.decode(Array(bytes.dropLast(2)), source: "no-eoi")) { error in
            guard case ImageCodecError.corrupt("no-eoi", .jpeg, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("Premature end"), reason)
        }
    }

    func testDecode_jpegWithGarbledHeader_isCorrupt() throws {
        var bytes = try JPEGCodec.encode(CodecTestImages.gradient(width: 16, height: 16), quality: 80)
        // Overwrite everything after the signature: the first marker segment becomes nonsense.
        for i in 4..<40 { bytes[i] = 0x00 }
        XCTAssertThrowsError(try decoder.decode(bytes, source: "garbled")) { error in
            guard case ImageCodecError.corrupt("garbled", .jpeg, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertFalse(reason.isEmpty, "libjpeg's message should be passed on")
        }
    }

    func testDecode_jpegLargerThanLimit_isRefusedBeforeDecoding() throws {
        let bytes = try JPEGCodec.encode(CodecTestImages.gradient(width: 20, height: 10), quality: 80)
        XCTAssertThrowsError(try ImageDecoder(maxPixels: 199).decode(bytes, source: "big")) { error in
            XCTAssertEqual(error as? ImageCodecError, .tooLarge(file: "big", width: 20, height: 10, limit: 199))
        }
        XCTAssertNoThrow(try ImageDecoder(maxPixels: 200).decode(bytes, source: "fits"))
    }

    /// A header claiming far more pixels than the scan holds: libjpeg meets the end-of-image marker
    /// inside the scan and would pad with grey; a corrupt file, as Pillow says.
    func testDecode_headerClaimingMoreRowsThanTheData_isCorrupt() throws {
        var bytes = try JPEGCodec.encode(CodecTestImages.noise(width: 100, height: 100), quality: 90)
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        bytes[sof + 5] = 0x1F; bytes[sof + 6] = 0x40  // 8000 rows
        bytes[sof + 7] = 0x1F; bytes[sof + 8] = 0x40  // 8000 columns
        XCTAssertThrowsError(try decoder.decode(bytes, source: "claims-8000")) { error in
            guard case ImageCodecError.corrupt("claims-8000", .jpeg, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.lowercased().contains("corrupt") || reason.contains("Premature"), reason)
        }
    }
}
