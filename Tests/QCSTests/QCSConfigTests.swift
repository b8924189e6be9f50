import Config
import XCTest
@testable import QCS

final class QCSConfigTests: XCTestCase {
    func model(_ yaml: String) throws -> QCSConfig {
        let top = try ConfigSection.parse(yaml: yaml, source: "test.yaml")
        return try QCSConfig(section: top.section("model"))
    }

    func testPresets_areValidAndHaveTheSpecTokenCounts() throws {
        try QCSConfig.paper.validate()
        try QCSConfig.tiny.validate()
        try QCSConfig.mid.validate()
        XCTAssertEqual(QCSConfig.paper.tokens, 147)
        XCTAssertEqual(QCSConfig.paper.inputSize, 112)
        XCTAssertEqual(QCSConfig.tiny.tokensPerGroup, 4)
        XCTAssertEqual(QCSConfig.mid.tokensPerGroup, 9)
    }

    func testYAML_presetWithOverrides() throws {
        let c = try model("model:\n  preset: tiny\n  num_classes: 8\n  cross_mlp_dropout: 0.2\n")
        XCTAssertEqual(c.numClasses, 8)
        XCTAssertEqual(c.crossMLPDropout, 0.2)
        XCTAssertEqual(c.embedDim, 32)
    }

    func testYAML_errorsNameTheKey() {
        XCTAssertThrowsError(try model("model:\n  preset: tiny\n  embed_dims: 64\n")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "model.embed_dims")
        }
        XCTAssertThrowsError(try model("model:\n  preset: tiny\n  heads: 3\n")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "model.heads")
        }
        XCTAssertThrowsError(try model("model:\n  preset: huge\n")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "model.preset")
        }
        XCTAssertThrowsError(try model("model:\n  image_size: 100\n")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "model.image_size")
        }
        XCTAssertThrowsError(try model("model:\n  stage_units: [3, four, 14]\n")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "model.stage_units")
        }
        XCTAssertThrowsError(try model("model:\n  cross_pos_dropout: 1.5\n")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "model.cross_pos_dropout")
        }
    }

    func testSizeKeys_haveUpperBoundsThatSayWhy() {
        let cases = [("image_size: 100000", "model.image_size", "at most 1024"),
                     ("stage_widths: [64, 128, 1000000]", "model.stage_widths", "from 1 to 2048"),
                     ("stage_units: [3, 4, 1000]", "model.stage_units", "from 1 to 64"),
                     ("embed_dim: 100000, heads: 8", "model.embed_dim", "between 1 and 8192"),
                     ("base_depth: 500", "model.base_depth", "between 1 and 64"),
                     ("mlp_ratio: 100", "model.mlp_ratio", "between 1 and 16"),
                     ("downsample: 64", "model.downsample", "between 1 and 16")]
        for (yaml, key, reason) in cases {
            XCTAssertThrowsError(try model("model: {preset: tiny, \(yaml)}\n"), yaml) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key, "\($0)")
                XCTAssertTrue("\($0)".contains(reason), "\($0)")
            }
        }
        XCTAssertNoThrow(try model("model: {preset: paper}\n"))
    }
}
