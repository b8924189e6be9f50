import Autograd
import Checkpoint
import Foundation
import QCS
import Safetensors
import XCTest

final class OfficialWeightsExportTests: WeightFileTestCase {
    func testExportThenLoad_intoAnotherSeed_parametersAndBuffersEqualBitForBit() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        XCTAssertNotEqual(bits(source).parameters, bits(target).parameters, "the two seeds must differ to begin with")
        XCTAssertNotEqual(bits(source).buffers, bits(target).buffers)
        let file = path("full.safetensors")
        let written = try OfficialWeights.export(source, config: .tiny, to: file)

        let report = try OfficialWeights.load(file, into: target)

        XCTAssertEqual(bits(target).parameters, bits(source).parameters)
        XCTAssertEqual(bits(target).buffers, bits(source).buffers)
        XCTAssertEqual(written, names(source) { _ in true })
        XCTAssertEqual(report.loaded, written)
        XCTAssertTrue(report.isComplete)
        XCTAssertEqual(report.missing + report.unexpected + report.skippedNeverUsed + report.outOfScope, [])
        XCTAssertEqual(report.renamed, [])
    }

    func testExport_file_holdsOfficialNamesShapesAndMetadata() throws {
        // Every field away from both the paper's and the tiny preset's value.
        var config = QCSConfig.tiny
        config.imageSize = 32
        config.downsample = 1
        config.stageWidths = [4, 8, 12]
        config.stageUnits = [2, 1, 1]
        config.embedDim = 12
        config.heads = 3
        config.baseDepth = 1
        config.crossDepth = 2
        config.mlpRatio = 2
        config.numClasses = 8
        config.crossPosDropout = 0.2
        config.crossMLPDropout = 0.4
        config.crossProjDropout = 0.1
        config.vitLayerNormEps = 3e-6
        config.csaLayerNormEps = 1e-7
        let store = tinyStore(seed: 3, config: config)
        let file = path("meta.safetensors")
        try OfficialWeights.export(store, config: config, to: file)

        let read = try SafetensorsFile(path: file)
        XCTAssertEqual(try read.shape(of: "VIT_base.head.linear.weight"), [8, config.embedDim])
        XCTAssertEqual(try read.shape(of: "ir_back.input_layer.1.num_batches_tracked"), [])
        XCTAssertEqual(read.metadata["format"], "pt")
        let metadata = try XCTUnwrap(try OfficialWeights.metadata(of: file))
        XCTAssertEqual(metadata.config, config, "every config field survives the JSON round trip")
        XCTAssertEqual(metadata.part, .full)
        XCTAssertEqual(metadata.formatVersion, ExportMetadata.currentFormatVersion)
    }

    func testMetadata_ofAFileWithoutQCSMetadata_isNil() throws {
        let file = try write([("x", Tensor(zeros: [2]))], to: "plain.safetensors")
        XCTAssertNil(try OfficialWeights.metadata(of: file))
    }

    func testLoad_fileFromANewerFormatVersion_isRefusedNamingBothVersions() throws {
        let file = path("future.safetensors")
        try SafetensorsWriter(path: file).write([("x", Tensor(zeros: [1]))], metadata: ["qcs.format_version": "99"])
        XCTAssertThrowsError(try OfficialWeights.load(file, into: tinyStore(seed: 1))) { error in
            XCTAssertEqual(error as? WeightLoadError,
                           .unsupportedFormatVersion(path: file, found: "99", supported: ExportMetadata.currentFormatVersion))
            XCTAssertTrue("\(error)".contains(file))
        }
    }

    func testInferenceExport_holdsExactlyTheBasePath() throws {
        let (model, store) = QCSModel.build(.tiny, seed: 4)
        let file = path("inference.safetensors")
        let written = try OfficialWeights.export(store, config: .tiny, to: file, part: .inference)

        let expected = names(store) { !$0.hasPrefix("cross_attention_") && !$0.hasPrefix("VIT_cross.") }
        XCTAssertEqual(written, expected)
        let parameterElements = store.layout.parameters.filter { written.contains($0.name) }.map(\.count).reduce(0, +)
        XCTAssertEqual(parameterElements, model.inferenceParameterCount, "the model's own count of its base path")
        XCTAssertEqual(try OfficialWeights.metadata(of: file)?.part, .inference)
    }

    func testInferenceExport_loadedStrictlyIntoAFullModel_namesTheTrainingOnlyTensorsAndWritesNothing() throws {
        let source = tinyStore(seed: 5), target = tinyStore(seed: 6)
        let file = path("inference.safetensors")
        try OfficialWeights.export(source, config: .tiny, to: file, part: .inference)
        let before = bits(target)

        XCTAssertThrowsError(try OfficialWeights.load(file, into: target)) { error in
            guard case let .incomplete(report)? = error as? WeightLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(report.missing, self.names(target) { $0.hasPrefix("cross_attention_") || $0.hasPrefix("VIT_cross.") })
            XCTAssertEqual(report.shapeMismatches, [])
            XCTAssertEqual(report.unexpected, [])
        }
        XCTAssertEqual(bits(target).parameters, before.parameters, "a refused load writes nothing")
        XCTAssertEqual(bits(target).buffers, before.buffers)
    }

    func testInferenceExport_loadedNonStrictly_loadsTheBasePathAndKeepsTheRest() throws {
        let source = tinyStore(seed: 5), target = tinyStore(seed: 6)
        let file = path("inference.safetensors")
        let written = try OfficialWeights.export(source, config: .tiny, to: file, part: .inference)
        let trainingOnly = names(target) { $0.hasPrefix("cross_attention_") || $0.hasPrefix("VIT_cross.") }
        let kept = try trainingOnly.map { try bits(target, $0) }

        let report = try OfficialWeights.load(file, into: target, strict: false)

        XCTAssertEqual(report.missing, trainingOnly)
        XCTAssertEqual(report.loaded, written)
        for name in written { XCTAssertEqual(try bits(target, name), try bits(source, name), name) }
        XCTAssertEqual(try trainingOnly.map { try bits(target, $0) }, kept, "missing tensors keep the model's values")
    }

    func testExportAsBF16_loadsTheRoundedValues() throws {
        let source = tinyStore(seed: 7), target = tinyStore(seed: 8)
        let file = path("bf16.safetensors")
        try OfficialWeights.export(source, config: .tiny, to: file, dtype: .bf16)
        XCTAssertEqual(try SafetensorsFile(path: file).entry(named: "conv1.weight").dtype, .bf16)

        try OfficialWeights.load(file, into: target)

        let expected = source.values.array.map { HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: $0)) }
        XCTAssertEqual(target.values.array, expected)
    }
}
