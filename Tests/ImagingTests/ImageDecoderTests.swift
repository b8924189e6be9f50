import TestSupport
import XCTest
@testable import Imaging

final class ImageDecoderTests: XCTestCase {
    let decoder = ImageDecoder()

    func testDecode_notAnImage_isItsOwnErrorWithTheFirstBytes() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("page.jpg", text: "<html>404</html>")
        XCTAssertThrowsError(try decoder.decode(contentsOf: path)) { error in
            XCTAssertEqual(error as? ImageCodecError, .notAnImage(file: path, firstBytes: "3c 68 74 6d 6c 3e 34 30"))
        }
    }

    func testDecode_emptyFile_isItsOwnError() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("empty.png", [])
        XCTAssertThrowsError(try decoder.decode(contentsOf: path)) { error in
            XCTAssertEqual(error as? ImageCodecError, .emptyFile(file: path))
        }
    }

    func testDecode_missingFile_namesTheFileAndTheReason() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("nowhere/face.jpg")
        XCTAssertThrowsError(try decoder.decode(contentsOf: path)) { error in
            guard case ImageCodecError.unreadableFile(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue(reason.contains("No such file"), reason)
        }
    }

    func testDecode_directory_isUnreadable() throws {
        let scratch = try ScratchDirectory()
        XCTAssertThrowsError(try decoder.decode(contentsOf: scratch.path)) { error in
            XCTAssertEqual(error as? ImageCodecError, .unreadableFile(file: scratch.path, reason: "it is a directory"))
        }
    }

    func testDecode_formatComesFromTheBytesNotTheExtension() throws {
        let scratch = try ScratchDirectory()
        let image = CodecTestImages.noise(width: 5, height: 5)
        let pngNamedJPG = try scratch.write("really-a-png.jpg", ImageEncoder.encode(image, as: .png))
        XCTAssertEqual(try decoder.decode(contentsOf: pngNamedJPG), image)
        let jpegNamedPNG = try scratch.write("really-a-jpeg.png", ImageEncoder.encode(image, as: .jpeg(quality: 90)))
        XCTAssertEqual(try decoder.decode(contentsOf: jpegNamedPNG).width, 5)
    }

    func testDecode_fromFileAndFromBytes_agree() throws {
        let scratch = try ScratchDirectory()
        let image = CodecTestImages.gradient(width: 17, height: 9)
        for encoding in [ImageEncoding.jpeg(quality: 75), .png] {
            let path = scratch.file("face.\(encoding.format.rawValue)")
            try ImageEncoder.write(image, to: path, as: encoding)
            let bytes = try ImageEncoder.encode(image, as: encoding)
            XCTAssertEqual(try decoder.decode(contentsOf: path), try decoder.decode(bytes, source: "memory"))
        }
    }

    func testWrite_intoMissingFolder_isAnUnwritableFileError() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("no/such/folder/out.png")
        XCTAssertThrowsError(try ImageEncoder.write(CodecTestImages.gradient(width: 2, height: 2), to: path, as: .png)) { error in
            guard case ImageCodecError.unwritableFile(path, _) = error else { return XCTFail("\(error)") }
        }
    }

    func testWrite_leavesNoTemporaryFileBehind() throws {
        let scratch = try ScratchDirectory()
        try ImageEncoder.write(CodecTestImages.gradient(width: 2, height: 2), to: scratch.file("a.jpg"), as: .jpeg(quality: 90))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["a.jpg"])
    }
}
