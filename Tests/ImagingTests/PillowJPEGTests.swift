import XCTest
@testable import Imaging

/// JPEG variants our encoder does not write, checked against Pillow's decoding of the same bytes.
final class PillowJPEGTests: XCTestCase {
    let decoder = ImageDecoder()

    func testDecode_greyJPEG_matchesPillowAndIsReplicatedToRGB() throws {
        let image = try decoder.decode(PillowJPEGFixtures.greyJPEG, source: "grey.jpg")
        XCTAssertEqual(image.width, PillowJPEGFixtures.greyWidth)
        XCTAssertEqual(image.height, PillowJPEGFixtures.greyHeight)
        let expected = RGBImage(width: image.width, height: image.height, pixels: PillowJPEGFixtures.greyPillowRGB)
        XCTAssertLessThanOrEqual(CodecTestImages.difference(image, expected).max, 2)
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            XCTAssertEqual(image.pixels[i], image.pixels[i + 1])
            XCTAssertEqual(image.pixels[i], image.pixels[i + 2])
        }
    }

    func testDecode_adobeCMYKJPEG_matchesPillow() throws {
        let image = try decoder.decode(PillowJPEGFixtures.cmykJPEG, source: "cmyk.jpg")
        XCTAssertEqual(image.width, PillowJPEGFixtures.cmykWidth)
        XCTAssertEqual(image.height, PillowJPEGFixtures.cmykHeight)
        let expected = RGBImage(width: image.width, height: image.height, pixels: PillowJPEGFixtures.cmykPillowRGB)
        XCTAssertLessThanOrEqual(CodecTestImages.difference(image, expected).max, 3)
    }
}
