import XCTest
import Foundation
@testable import QCS
@testable import Trainer

final class TrainingConfigTests: XCTestCase {
    static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Configs")

    func testEveryShippedConfig_parses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configs.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 6)
        for file in files {
            XCTAssertNoThrow(try TrainingConfig.load(path: Self.configs.appendingPathComponent(file).path), file)
        }
        let raf = try TrainingConfig.load(path: Self.configs.appendingPathComponent("rafdb.yaml").path, dataRoot: "/data/raf")
        XCTAssertEqual(raf.model, QCSConfig.paper)
        XCTAssertEqual(raf.optim.learningRate, 3e-6)
        XCTAssertEqual(raf.data.root, "/data/raf")
        let fer = try TrainingConfig.load(path: Self.configs.appendingPathComponent("ferplus.yaml").path)
        XCTAssertEqual(fer.model.crossProjDropout, 0.2)
    }

    func testErrors_nameKeyAndFile() {
        let cases: [(String, String)] = [
            ("model: {preset: tiny}\ndata: {kind: rafdb, root: x}\noptim: {lr: -1}\n", "optim.lr"),
            ("model: {preset: tiny}\ndata: {kind: rafdb, root: x}\ntrain: {epoch: 3}\n", "train.epoch"),
            ("model: {preset: tiny}\ndata: {kind: rafdb, root: x}\noptimizer: {lr: 1}\n", "optimizer"),
            ("model: {preset: tiny}\ndata: {kind: rafdb, root: x}\noptim: {optimizer: lamb}\n", "optim.optimizer"),
            ("model: {preset: tiny, num_classes: 8}\ndata: {kind: rafdb, root: x}\n", "model.num_classes"),
            ("model: {preset: tiny}\n", "data"),
        ]
        for (yaml, key) in cases {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml, source: "t.yaml"), key) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)")
            }
        }
        XCTAssertThrowsError(try TrainingConfig.load(path: "/nonexistent/config.yaml")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/config.yaml"))
        }
    }
}
