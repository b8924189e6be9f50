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
}
