import Autograd
import Foundation
import XCTest
@testable import Safetensors

final class SafetensorsRoundTripTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testRoundTrip_f32_keepsNamesOrderShapesValuesAndMetadata() throws {
        var rng = SeededRNG(seed: 3)
        let weight = Tensor(shape: [4, 3, 3, 3]) { rng.uniform(-1, 1) }
        let scalar = Tensor(shape: [], values: [42])
        let empty = Tensor(zeros: [0, 5])
        let bias = Tensor(shape: [4], values: [1, -0.0, .infinity, .leastNonzeroMagnitude])
        let p = path("model.safetensors")
        try SafetensorsWriter(path: p).write([("conv/weight", weight), ("step", scalar), ("empty", empty), ("bias", bias)],
                                             metadata: ["format": "pt", "note": "ünïcode / slash"])

        let file = try SafetensorsFile(path: p)
        XCTAssertEqual(file.tensorNames, ["conv/weight", "step", "empty", "bias"])
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "ünïcode / slash"])
        XCTAssertEqual(try file.shape(of: "conv/weight"), [4, 3, 3, 3])
        XCTAssertEqual(try file.shape(of: "step"), [])
        XCTAssertEqual(try file.tensor(named: "conv/weight").array, weight.array)
        XCTAssertEqual(try file.tensor(named: "step").array, [42])
        XCTAssertEqual(try file.tensor(named: "empty").shape, [0, 5])
        let readBias = try file.tensor(named: "bias").array
        XCTAssertEqual(readBias.map(\.bitPattern), bias.array.map(\.bitPattern), "bit-exact, including -0 and subnormals")
        XCTAssertFalse(FileManager.default.fileExists(atPath: p + ".tmp"))
    }

    func testWriter_alignsDataSectionTo8Bytes() throws {
        let p = path("a.safetensors")
        try SafetensorsWriter(path: p).write([("x", Tensor(shape: [3], values: [1, 2, 3]))], metadata: ["k": "odd"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: p))
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        XCTAssertEqual((8 + headerLength) % 8, 0)
        XCTAssertEqual(UInt64(bytes.count), 8 + headerLength + 12)
    }

    func testWriter_replacesExistingFileAtomically() throws {
        let p = path("a.safetensors")
        try SafetensorsWriter(path: p).write([("x", Tensor(shape: [1], values: [1]))])
        try SafetensorsWriter(path: p).write([("y", Tensor(shape: [2], values: [2, 3]))])
        let file = try SafetensorsFile(path: p)
        XCTAssertEqual(file.tensorNames, ["y"])
        XCTAssertEqual(try file.tensor(named: "y").array, [2, 3])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["a.safetensors"])
    }

    func testRoundTrip_f16AndBF16_storeRoundedValues() throws {
        let values: [Float] = [0, 1, -2.5, 0.1, 65504, 70000, 1e-8, 3.14159265]
        let x = Tensor(shape: [2, 4], values: values)
        for dtype in [SafetensorsDType.f16, .bf16] {
            let p = path("\(dtype.rawValue).safetensors")
            try SafetensorsWriter(path: p, dtype: dtype).write([("x", x)])
            let file = try SafetensorsFile(path: p)
            XCTAssertEqual(file.entries["x"]?.dtype, dtype)
            XCTAssertEqual(file.entries["x"]?.dataOffsets, 0..<16)
            let expected = values.map {
                dtype == .f16 ? HalfPrecision.float(fromHalf: HalfPrecision.half(from: $0))
                    : HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: $0))
            }
            XCTAssertEqual(try file.tensor(named: "x").array, expected, dtype.rawValue)
        }
    }

    func testIntegers_readsI64AndI32Exactly() throws {
        // Hand-made file: an I64 vector with a value float32 cannot hold, and an I32 scalar.
        var data = [UInt8]()
        for v: Int64 in [-3, 1 << 40 | 1] { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        withUnsafeBytes(of: Int32(-7).littleEndian) { data += $0 }
        let p = try RawFile.write(in: directory, header: #"{"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"I32","shape":[],"data_offsets":[16,20]}}"#, data: data)
        let file = try SafetensorsFile(path: p)
        XCTAssertEqual(try file.integers(named: "a"), [-3, 1 << 40 | 1])
        XCTAssertEqual(try file.integers(named: "b"), [-7])
        XCTAssertEqual(try file.tensor(named: "b").array, [-7])
    }
}

/// Writes files byte by byte, to build malformed ones.
enum RawFile {
    static func write(in directory: URL, header: String, data: [UInt8] = [], headerLength: UInt64? = nil) throws -> String {
        let json = Array(header.utf8)
        var bytes = [UInt8]()
        withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { bytes += $0 }
        bytes += json + data
        return try write(in: directory, bytes: bytes)
    }

    static func write(in directory: URL, bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent("raw-\(UUID().uuidString).safetensors")
        try Data(bytes).write(to: url)
        return url.path
    }
}
