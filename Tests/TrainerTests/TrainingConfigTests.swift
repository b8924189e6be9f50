import Config
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

    func testResolved_recordsEveryKeyWithItsDefaultOrFileValue() throws {
        let c = try TrainingConfig.parse(yaml: "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\noptim: {lr: 0.5}\n",
                                         source: "t.yaml")
        XCTAssertEqual(c.resolved["optim.lr"], "0.5")
        XCTAssertEqual(c.resolved["optim.beta2"], "0.999")
        XCTAssertEqual(c.resolved["train.epochs"], "200")
        XCTAssertEqual(c.resolved["model.stage_widths"], "[8, 16, 32]")
        XCTAssertEqual(c.resolved["distributed.rank_weights"], "equal")
        XCTAssertEqual(c.resolved["checkpoint.keep"], "3")
        XCTAssertEqual(c.resolved["data.root"], "x")
        XCTAssertGreaterThan(c.resolved.count, 50)
    }

    func testOverrides_replaceKeysAsIfTheFileSaidSo_andUnknownOnesAreErrors() throws {
        let yaml = "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\ntrain: {epochs: 3}\n"
        let c = try TrainingConfig.parse(yaml: yaml, source: "t.yaml", dataRoot: "/elsewhere",
                                         overrides: ["train.epochs": "7", "checkpoint.every": "5"])
        XCTAssertEqual(c.run.epochs, 7)
        XCTAssertEqual(c.checkpoint.every, 5)
        XCTAssertEqual(c.data.root, "/elsewhere")
        XCTAssertEqual(c.resolved["train.epochs"], "7")
        XCTAssertEqual(c.resolved["data.root"], "/elsewhere")
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml, source: "t.yaml", overrides: ["train.epoch": "7"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "train.epoch", "\($0)")
        }
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml, source: "t.yaml", overrides: ["checkpoint.keep": "0"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "checkpoint.keep", "\($0)")
        }
    }

    func testOverrides_readTheirValuesAsYAML_andErrorsSayTheyCameFromTheCommandLine() throws {
        let yaml = "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\n"
        let c = try TrainingConfig.parse(yaml: yaml, source: "t.yaml", overrides: [
            "optim.lr": "1e-5", "model.stage_widths": "[4, 8, 16]", "optim.cosine": "true", "optim.optimizer": "sgd",
        ])
        XCTAssertEqual(c.optim.learningRate, 1e-5)
        XCTAssertEqual(c.model.stageWidths, [4, 8, 16])
        XCTAssertTrue(c.optim.cosine)
        XCTAssertEqual(c.optim.kind, .sgd)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("override-\(getpid()).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertThrowsError(try TrainingConfig.load(path: file.path, overrides: ["optim.lr": "fast"])) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "optim.lr")
            XCTAssertTrue("\($0)".contains("from the command line: optim.lr=fast"), "\($0)")
        }
    }

    func testPrecision_defaultsToFloat32_readsBF16_andAnUnknownOneListsTheChoices() throws {
        let yaml = "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\n"
        XCTAssertEqual(try TrainingConfig.parse(yaml: yaml, source: "t.yaml").run.precision, .fp32)
        let bf16 = try TrainingConfig.parse(yaml: yaml + "train: {precision: bf16}\n", source: "t.yaml")
        XCTAssertEqual(bf16.run.precision, .bf16)
        XCTAssertEqual(bf16.resolved["train.precision"], "bf16")
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml + "train: {precision: fp16}\n", source: "t.yaml")) {
            let error = $0 as? ConfigError
            XCTAssertEqual(error?.key, "train.precision")
            XCTAssertTrue("\($0)".contains("fp16") && "\($0)".contains("bf16") && "\($0)".contains("fp32"), "\($0)")
        }
        XCTAssertTrue(ResumeCompatibility.mayChange("train.precision"), "precision is how fast, not what is trained")
    }

    /// YAML reads `.inf` and `.nan` as numbers; no key takes them, and a float32 field takes
    /// nothing beyond float32's range.
    func testNonFiniteNumbers_andNumbersBeyondFloat32_areRefused() {
        let base = "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\n"
        let cases: [(String, String, String)] = [
            ("optim: {lr: .inf}\n", "optim.lr", "expected a finite number, got '.inf'"),
            ("optim: {sam_rho: .nan}\n", "optim.sam_rho", "expected a finite number, got '.nan'"),
            ("optim: {lr: 1.0e+39}\n", "optim.lr", "must be a positive float32"),
            ("optim: {weight_decay: 1.0e+39}\n", "optim.weight_decay", "beyond the largest float32"),
            ("distributed: {rank_weights: [1, .inf]}\n", "distributed.rank_weights", "expected finite numbers"),
            ("distributed: {stall_seconds: -.inf}\n", "distributed.stall_seconds", "expected a finite number"),
        ]
        for (yaml, key, text) in cases {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: base + yaml, source: "t.yaml"), key) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key, "\($0)")
                XCTAssertTrue("\($0)".contains(text), "\($0)")
            }
        }
    }

    /// Thread counts have a bound: ten million threads is a typo, not a machine.
    func testThreadAndPrefetchCounts_areBounded() throws {
        let base = "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\n"
        for (train, key) in [("threads: 10000000", "train.threads"), ("loader_threads: 1025", "train.loader_threads"),
                             ("threads: -1", "train.threads"), ("prefetch: 65", "train.prefetch")] {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: base + "train: {\(train)}\n", source: "t.yaml"), train) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key, "\($0)")
            }
        }
        XCTAssertEqual(try TrainingConfig.parse(yaml: base + "train: {threads: 1024}\n", source: "t.yaml").run.threads, 1024)
    }

    /// Every key that takes one of a few words says the same thing when it gets another.
    func testEveryWordKey_listsItsChoicesTheSameWay() {
        let base = "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\n"
        let cases: [(String, String, String)] = [
            ("model: {preset: huge}\ndata: {kind: rafdb, root: x}\n", "model.preset", "unknown preset 'huge'; choose one of "),
            ("model: {preset: tiny}\ndata: {kind: imagenet, root: x}\n", "data.kind", "unknown kind 'imagenet'; choose one of rafdb, ferplus"),
            ("model: {preset: tiny}\ndata: {root: x}\n", "data.kind", "missing; choose one of rafdb, ferplus"),
            ("model: {preset: tiny}\ndata: {kind: rafdb, root: x, on_bad_image: ignore}\n", "data.on_bad_image", "unknown policy 'ignore'; choose one of skip, stop"),
            (base + "optim: {optimizer: lamb}\n", "optim.optimizer", "unknown optimizer 'lamb'; choose one of adam, adamw, sgd"),
            (base + "train: {on_nonfinite: ignore}\n", "train.on_nonfinite", "choose one of stop, skip_step"),
            (base + "train: {precision: fp8}\n", "train.precision", "unknown precision 'fp8'; choose one of fp32, bf16"),
            (base + "distributed: {gradient_compression: zip}\n", "distributed.gradient_compression", "choose one of none, fp16"),
            (base + "distributed: {debug: loud}\n", "distributed.debug", "unknown mode 'loud'; choose one of off, check, detail"),
            (base + "distributed: {stall_action: kill}\n", "distributed.stall_action", "unknown action 'kill'; choose one of report, abort"),
        ]
        for (yaml, key, text) in cases {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml, source: "t.yaml"), key) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key, "\($0)")
                XCTAssertTrue("\($0)".contains(text), "\($0)")
            }
        }
    }

    /// One rule for fixed rank weights, which training and debug replay both apply: one per rank,
    /// and a world of one uses none.
    func testFixedRankWeights_numberOnePerRank() {
        let fixed = DistributedConfig.RankWeights.fixed([2, 1])
        XCTAssertEqual(fixed.countProblem(worldSize: 3), "has 2 weights for 3 ranks")
        XCTAssertNil(fixed.countProblem(worldSize: 2))
        XCTAssertNil(fixed.countProblem(worldSize: 1))
        XCTAssertNil(DistributedConfig.RankWeights.equal.countProblem(worldSize: 5))
        XCTAssertNil(DistributedConfig.RankWeights.auto.countProblem(worldSize: 5))
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

    func testCompressionSettings_defaultPerCompressorAndBadCombinationsSayWhatToChange() throws {
        func parse(_ distributed: String) throws -> DistributedConfig {
            try TrainingConfig.parse(yaml: "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\ndistributed: {\(distributed)}\n",
                                     source: "t.yaml").distributed
        }
        XCTAssertEqual(try parse("gradient_compression: int8").blockSize, 256)
        XCTAssertEqual(try parse("gradient_compression: onebit").blockSize, 32)
        XCTAssertEqual(try parse("gradient_compression: onebit, block_size: 64").blockSize, 64)
        XCTAssertEqual(try parse("gradient_compression: int8, compression_start_step: 50").compressionStartStep, 50)
        XCTAssertTrue(try parse("gradient_compression: int8, wire_zstd: true").wireZstd)
        let cases: [(String, String, String)] = [
            ("gradient_compression: int4", "distributed.gradient_compression", "int8, onebit"),
            ("gradient_compression: int8, block_size: 0", "distributed.block_size", "between 1 and"),
            ("gradient_compression: int8, compression_start_step: -1", "distributed.compression_start_step", "negative"),
            ("gradient_compression: onebit, bucket_mb: 0.0001", "distributed.bucket_mb", "raise bucket_mb"),
            ("wire_zstd: true", "distributed.wire_zstd", "set wire_zstd: false"),
            ("gradient_compression: powersgd, wire_zstd: true", "distributed.wire_zstd", "fp16, bf16, int8 and onebit"),
        ]
        for (yaml, key, advice) in cases {
            XCTAssertThrowsError(try parse(yaml), yaml) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)")
                XCTAssertTrue("\(error)".contains(advice), "\(error)")
            }
        }
        // PowerSGD's rank must leave some matrix of the model to compress.
        let (_, store) = QCSModel.build(.tiny, seed: 0)
        XCTAssertNoThrow(try parse("gradient_compression: powersgd").check(layout: store.layout))
        XCTAssertThrowsError(try parse("gradient_compression: powersgd, powersgd_rank: 500").check(layout: store.layout)) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "distributed.powersgd_rank")
            XCTAssertTrue("\($0)".contains("lower powersgd_rank below"), "\($0)")
        }
        XCTAssertThrowsError(try parse("gradient_compression: powersgd, powersgd_rank: 0")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "distributed.powersgd_rank")
        }
        // A small bucket is fine where nothing is cut into blocks.
        XCTAssertNoThrow(try parse("gradient_compression: fp16, bucket_mb: 0.0001"))
    }

    func testWrongTypes_sayWhatTheValueIs() {
        let cases = [("train: {epochs: \"1\"}", "train.epochs", "the quoted text \"1\" (quotes make a value text"),
                     ("train: {epochs: [1, 2]}", "train.epochs", "expected an integer, got a list"),
                     ("optim: {lr: fast}", "optim.lr", "expected a number, got 'fast'"),
                     ("distributed: {shard_optimizer: maybe}", "distributed.shard_optimizer", "expected true or false, got 'maybe'")]
        for (yaml, key, message) in cases {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: "model: {preset: tiny}\ndata: {kind: rafdb, root: x}\n\(yaml)\n",
                                                          source: "t.yaml"), yaml) {
                XCTAssertEqual(($0 as? ConfigError)?.key, key, "\($0)")
                XCTAssertTrue("\($0)".contains(message), "\($0)")
            }
        }
    }
}
