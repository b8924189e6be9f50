import Imaging
import DataPipeline
import Foundation
import XCTest

/// The Pillow/torchvision golden cases in Fixtures/Augmentation (written by
/// scripts/reference/make_augment_fixtures.py): raw uint8 RGB images and float32 CHW tensors,
/// described by cases.json.
struct AugmentationFixture: Decodable {
    struct Image: Decodable { let file: String; let width: Int; let height: Int }
    struct Output: Decodable { let file: String; let width: Int?; let height: Int?; let shape: [Int]? }
    let name: String
    let op: String
    let params: [String: Param]
    let input: Image
    let output: Output

    /// A parameter value: cases.json holds numbers and lists of numbers.
    enum Param: Decodable {
        case number(Double), list([Double])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) { self = .number(v) } else { self = .list(try c.decode([Double].self)) }
        }
        var number: Double? { if case .number(let v) = self { return v }; return nil }
        var list: [Double]? { if case .list(let v) = self { return v }; return nil }
    }

    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/Augmentation")
    }

    static func all() throws -> [AugmentationFixture] {
        struct Manifest: Decodable { let cases: [AugmentationFixture] }
        let data = try Data(contentsOf: directory.appendingPathComponent("cases.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).cases
    }

    static func cases(op: String) throws -> [AugmentationFixture] {
        let found = try all().filter { $0.op == op }
        guard !found.isEmpty else { throw XCTSkip("no fixture of op \(op)") }
        return found
    }

    func number(_ key: String) throws -> Double {
        try XCTUnwrap(params[key]?.number, "\(name): parameter \(key)")
    }

    func inputImage() throws -> RGBImage { try Self.loadImage(input) }

    func expectedImage() throws -> RGBImage {
        try Self.loadImage(Image(file: output.file, width: try XCTUnwrap(output.width), height: try XCTUnwrap(output.height)))
    }

    func expectedFloats() throws -> [Float] {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(output.file))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func loadImage(_ image: Image) throws -> RGBImage {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(image.file)))
        XCTAssertEqual(bytes.count, image.width * image.height * 3, image.file)
        return RGBImage(width: image.width, height: image.height, pixels: bytes)
    }
}

/// Largest absolute difference between two images of the same size, in 8-bit levels, plus how
/// many bytes differ at all (so a test can report "exact" separately from "within 1/255").
func levelDifference(_ a: RGBImage, _ b: RGBImage) -> (max: Int, differing: Int) {
    guard a.width == b.width, a.height == b.height else { return (Int.max, Int.max) }
    var worst = 0, differing = 0
    for i in 0..<a.pixels.count {
        let d = abs(Int(a.pixels[i]) - Int(b.pixels[i]))
        worst = max(worst, d)
        if d != 0 { differing += 1 }
    }
    return (worst, differing)
}
