import Autograd
import Checkpoint
import Foundation
import QCS
import Safetensors
import XCTest

/// Every way a file can differ from the model, each reported by name.
final class WeightLoadReportTests: WeightFileTestCase {
    /// The error of a strict load, which must be `.incomplete`, and a check that nothing was written.
    func refusedReport(_ file: String, into store: ParameterStore, scope: OfficialWeights.Scope = .wholeModel,
                       line: UInt = #line) -> WeightLoadReport? {
        let before = bits(store)
        defer {
            XCTAssertEqual(bits(store).parameters, before.parameters, "refused load wrote parameters", line: line)
            XCTAssertEqual(bits(store).buffers, before.buffers, "refused load wrote buffers", line: line)
        }
        do {
            try OfficialWeights.load(file, into: store, scope: scope)
            XCTFail("strict load should have been refused", line: line)
        } catch let WeightLoadError.incomplete(report) {
            return report
        } catch {
            XCTFail("unexpected error \(error)", line: line)
        }
        return nil
    }

    func testMissingTensors_strictIsRefused_nonStrictLoadsTheRestAndNamesThem() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let dropped = ["VIT_base.norm.weight", "ir_back.body1.0.res_layer.0.running_var"]
        let file = try write(namedTensors(source).filter { !dropped.contains($0.name) }, to: "missing.safetensors")

        let refused = try XCTUnwrap(refusedReport(file, into: target))
        XCTAssertEqual(refused.missing, names(target) { dropped.contains($0) }, "named, in the model's order")
        let kept = try dropped.map { try bits(target, $0) }
        let report = try OfficialWeights.load(file, into: target, strict: false)
        XCTAssertEqual(Set(report.missing), Set(dropped))
        XCTAssertEqual(report.loaded.count, names(target) { _ in true }.count - 2)
        XCTAssertEqual(try dropped.map { try bits(target, $0) }, kept)
        XCTAssertEqual(try bits(target, "VIT_base.norm.bias"), try bits(source, "VIT_base.norm.bias"))
    }

    func testUnexpectedTensors_areNamedAndRefusedWhenStrict() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let extra = [("head.fc.weight", Tensor(zeros: [3])), ("VIT_base.blocks.9.attn.qkv.weight", Tensor(zeros: [2]))]
        let file = try write(namedTensors(source) + extra.map { (name: $0.0, tensor: $0.1) }, to: "unexpected.safetensors")

        let refused = try XCTUnwrap(refusedReport(file, into: target))
        XCTAssertEqual(refused.unexpected, ["head.fc.weight", "VIT_base.blocks.9.attn.qkv.weight"], "in file order")
        XCTAssertEqual(refused.missing, [])

        let report = try OfficialWeights.load(file, into: target, strict: false)
        XCTAssertEqual(bits(target).parameters, bits(source).parameters)
        XCTAssertEqual(report.unexpected.count, 2)
    }

    func testShapeMismatch_namesBothShapes_andNeverWritesTheTensor() throws {
        var eightClasses = QCSConfig.tiny
        eightClasses.numClasses = 8
        let source = tinyStore(seed: 1, config: eightClasses), target = tinyStore(seed: 2)
        let file = try write(namedTensors(source), to: "eight.safetensors")
        let d = QCSConfig.tiny.embedDim

        let refused = try XCTUnwrap(refusedReport(file, into: target))
        let expected: [WeightLoadReport.ShapeMismatch] = [
            .init(name: "VIT_base.head.linear.weight", expected: [7, d], found: [8, d]),
            .init(name: "VIT_base.head.linear.bias", expected: [7], found: [8]),
            .init(name: "VIT_cross.head.linear.weight", expected: [7, d], found: [8, d]),
            .init(name: "VIT_cross.head.linear.bias", expected: [7], found: [8]),
        ]
        XCTAssertEqual(refused.shapeMismatches, expected)
        XCTAssertEqual(refused.missing, [], "a mismatched tensor is not also missing")

        let heads = try expected.map { try bits(target, $0.name) }
        let report = try OfficialWeights.load(file, into: target, strict: false)
        XCTAssertEqual(report.shapeMismatches, expected)
        XCTAssertEqual(try expected.map { try bits(target, $0.name) }, heads, "mismatched tensors are never written")
        XCTAssertEqual(try bits(target, "VIT_base.norm.weight"), try bits(source, "VIT_base.norm.weight"))
        XCTAssertTrue(report.description.contains("VIT_base.head.linear.weight model [7, \(d)] file [8, \(d)]"), report.description)
    }

    func testNeverUsedOfficialModules_areSkippedAsOneNote_notUnexpected() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let neverUsed = [
            "ir_back.output_layer.3.weight", "ir_back.output_layer.0.num_batches_tracked",
            "ir_back.body4.0.res_layer.1.weight", "VIT_base.patch_embed.proj.weight", "VIT_cross.eca_block.conv.weight",
            "VIT_base.CON1.weight", "VIT_cross.IRLinear1.bias", "VIT_base.IRLinear2.weight",
            "VIT_base.blocks.0.conv.weight", "VIT_cross.blocks.0.conv.bias",
        ]
        let file = try write(namedTensors(source) + neverUsed.map { (name: $0, tensor: Tensor(zeros: [2, 3])) },
                             to: "official-extras.safetensors")

        let report = try OfficialWeights.load(file, into: target)

        XCTAssertEqual(Set(report.skippedNeverUsed), Set(neverUsed))
        XCTAssertEqual(report.unexpected, [])
        XCTAssertEqual(bits(target).parameters, bits(source).parameters)
        let notes = report.description.split(separator: "\n").filter { $0.contains("never run") }
        XCTAssertEqual(notes.count, 1, report.description)
        XCTAssertTrue(notes[0].contains("skipped \(neverUsed.count) tensors"), report.description)
        XCTAssertFalse(report.description.contains("unexpected"), report.description)
    }

    func testDataParallelPrefix_onEveryKey_loadsBitForBit() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let file = try write(namedTensors(source).map { (name: "module." + $0.name, tensor: $0.tensor) }, to: "dp.safetensors")

        let report = try OfficialWeights.load(file, into: target)

        XCTAssertEqual(bits(target).parameters, bits(source).parameters)
        XCTAssertEqual(bits(target).buffers, bits(source).buffers)
        XCTAssertEqual(report.renamed.count, names(source) { _ in true }.count)
        XCTAssertEqual(report.renamed.first?.rules, [.dataParallelPrefix])
        XCTAssertTrue(report.description.contains("module. prefix stripped"), report.description)
    }

    func testOldEmbeddingNames_embed123_loadIntoEmbedQKV() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let old = namedTensors(source).map { entry -> (name: String, tensor: Tensor) in
            var name = entry.name
            for (new, old) in [("embed_q.", "embed_1."), ("embed_k.", "embed_2."), ("embed_v.", "embed_3.")]
            where name.hasPrefix(new) {
                name = old + name.dropFirst(new.count)
            }
            return (name, entry.tensor)
        }
        XCTAssertTrue(old.contains { $0.name == "embed_3.proj.weight" })
        let file = try write(old, to: "old-embed.safetensors")

        let report = try OfficialWeights.load(file, into: target)

        for name in ["embed_q.0.weight", "embed_q.1.bias", "embed_k.0.weight", "embed_v.proj.weight"] {
            XCTAssertEqual(try bits(target, name), try bits(source, name), name)
        }
        XCTAssertEqual(Set(report.renamed.map(\.fileKey)), Set(old.map(\.name).filter { $0.hasPrefix("embed_") }))
        XCTAssertTrue(report.renamed.allSatisfy { $0.rules == [.oldEmbeddingNames] })
    }

    func testBackboneScope_loadsOnlyIRBack_andIgnoresTheRestEvenOfAnotherShape() throws {
        var eightClasses = QCSConfig.tiny
        eightClasses.numClasses = 8
        let source = tinyStore(seed: 1, config: eightClasses), target = tinyStore(seed: 2)
        let file = try write(namedTensors(source), to: "affectnet8.safetensors")
        let head = names(target) { !$0.hasPrefix("ir_back.") }
        let before = try head.map { try bits(target, $0) }

        let report = try OfficialWeights.load(file, into: target, scope: .backbone)

        let backbone = names(target) { $0.hasPrefix("ir_back.") }
        XCTAssertEqual(report.loaded, backbone)
        XCTAssertEqual(report.outOfScope.count, head.count)
        XCTAssertEqual(report.shapeMismatches, [], "the other head's shape is out of scope, not a mismatch")
        XCTAssertTrue(report.isComplete)
        for name in backbone { XCTAssertEqual(try bits(target, name), try bits(source, name), name) }
        XCTAssertEqual(try head.map { try bits(target, $0) }, before)
    }

    func testBackboneScope_bareIR50NamesWithStage4_loadWithTheUnusedPartsSkipped() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let ir50 = namedTensors(source).filter { $0.name.hasPrefix("ir_back.") }
            .map { (name: String($0.name.dropFirst("ir_back.".count)), tensor: $0.tensor) }
        let unused = ["body4.0.res_layer.1.weight", "output_layer.3.weight"].map { (name: $0, tensor: Tensor(zeros: [4])) }
        let file = try write(ir50 + unused, to: "ir50.safetensors")

        let report = try OfficialWeights.load(file, into: target, scope: .backbone)

        XCTAssertEqual(Set(report.skippedNeverUsed), ["ir_back.body4.0.res_layer.1.weight", "ir_back.output_layer.3.weight"])
        XCTAssertEqual(report.loaded, names(target) { $0.hasPrefix("ir_back.") })
        XCTAssertTrue(report.renamed.allSatisfy { $0.rules == [.bareBackbone] })
        XCTAssertEqual(try bits(target, "ir_back.input_layer.0.weight"), try bits(source, "ir_back.input_layer.0.weight"))
    }

    func testBackboneScope_missingBackboneTensor_isStillRefused() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let file = try write(namedTensors(source).filter { $0.name != "ir_back.input_layer.2.weight" }, to: "b.safetensors")
        let report = try XCTUnwrap(refusedReport(file, into: target, scope: .backbone))
        XCTAssertEqual(report.missing, ["ir_back.input_layer.2.weight"])
    }

    func testNumBatchesTrackedStoredAsI64_loadsByValue() throws {
        let target = tinyStore(seed: 2)
        let p = try XCTUnwrap(target.named("ir_back.input_layer.1.weight"))
        let file = path("i64.safetensors")
        try RawSafetensors.write([
            .float32(p.name, p.shape, (0..<p.count).map { Float($0) + 0.5 }),
            .int64("ir_back.input_layer.1.num_batches_tracked", [], [123_456]),
        ], to: file)

        let report = try OfficialWeights.load(file, into: target, strict: false)

        XCTAssertEqual(report.loaded, [p.name, "ir_back.input_layer.1.num_batches_tracked"])
        XCTAssertEqual(try bits(target, "ir_back.input_layer.1.num_batches_tracked"), [Float(123_456).bitPattern])
        XCTAssertEqual(target.value(p).array, (0..<p.count).map { Float($0) + 0.5 })
    }

    func testAFileWithoutNumBatchesTracked_loadsStrictlyAndSaysSo_whileAnyOtherAbsenceIsRefused() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let counters = names(target) { $0.hasSuffix(".num_batches_tracked") }
        XCTAssertGreaterThan(counters.count, 5)
        let file = try write(namedTensors(source).filter { !$0.name.hasSuffix(".num_batches_tracked") }, to: "nocount.safetensors")
        let before = try counters.map { try bits(target, $0) }
        let report = try OfficialWeights.load(file, into: target)  // strict
        XCTAssertTrue(report.isComplete)
        XCTAssertEqual(report.missing, [])
        XCTAssertEqual(report.absentCounters, counters)
        XCTAssertEqual(report.loaded.count, names(target) { _ in true }.count - counters.count)
        XCTAssertTrue(report.summary(limit: 3).contains("absent \(counters.count) BatchNorm num_batches_tracked counters"),
                      report.summary(limit: 3))
        XCTAssertEqual(try counters.map { try bits(target, $0) }, before, "the counters keep the model's values")
        // A running statistic is not a counter: its absence is still refused.
        let partial = try write(namedTensors(source).filter {
            !$0.name.hasSuffix(".num_batches_tracked") && $0.name != "ir_back.body1.0.res_layer.0.running_var"
        }, to: "nostat.safetensors")
        let refused = try XCTUnwrap(refusedReport(partial, into: tinyStore(seed: 3)))
        XCTAssertEqual(refused.missing, ["ir_back.body1.0.res_layer.0.running_var"])
    }

    func testSameTensorUnderTwoSpellings_isAmbiguous() throws {
        let source = tinyStore(seed: 1)
        let w = try XCTUnwrap(source.named("conv1.weight"))
        let file = try write([("conv1.weight", source.value(w)), ("module.conv1.weight", source.value(w))], to: "dup.safetensors")
        XCTAssertThrowsError(try OfficialWeights.load(file, into: tinyStore(seed: 2), strict: false)) { error in
            guard case let .duplicateName(path, name, keys)? = error as? WeightLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, file)
            XCTAssertEqual(name, "conv1.weight")
            XCTAssertEqual(Set(keys), ["conv1.weight", "module.conv1.weight"])
        }
    }

    func testTruncatedFile_givesTheSafetensorsErrorNamingTheFile_andWritesNothing() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let file = path("truncated.safetensors")
        try OfficialWeights.export(source, config: .tiny, to: file)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: file))
        let before = bits(target)

        XCTAssertThrowsError(try OfficialWeights.load(file, into: target, strict: false)) { error in
            XCTAssertTrue(error is SafetensorsError, "\(error)")
            XCTAssertTrue("\(error)".contains(file), "\(error)")
        }
        XCTAssertEqual(bits(target).parameters, before.parameters)
    }

    func testGarbageFile_givesTheSafetensorsErrorNamingTheFile() throws {
        let file = path("garbage.safetensors")
        try Data("this is not a weights file at all".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try OfficialWeights.load(file, into: tinyStore(seed: 2))) { error in
            XCTAssertTrue(error is SafetensorsError, "\(error)")
            XCTAssertTrue("\(error)".contains(file), "\(error)")
        }
    }

    func testUnreadableDType_isRefusedBeforeAnythingIsWritten() throws {
        let target = tinyStore(seed: 2)
        let p = try XCTUnwrap(target.named("ir_back.input_layer.1.weight"))
        let file = path("bool.safetensors")
        try RawSafetensors.write([
            .float32(p.name, p.shape, [Float](repeating: 9, count: p.count)),
            RawSafetensors.Entry(name: "ir_back.input_layer.1.bias", dtype: "BOOL", shape: p.shape,
                                 bytes: [UInt8](repeating: 1, count: p.count)),
        ], to: file)
        let before = bits(target)
        XCTAssertThrowsError(try OfficialWeights.load(file, into: target, strict: false)) { error in
            XCTAssertEqual(error as? SafetensorsError,
                           .unsupportedDType(path: file, tensor: "ir_back.input_layer.1.bias", dtype: "BOOL"))
        }
        XCTAssertEqual(bits(target).parameters, before.parameters)
    }

    func testSummary_listsTheFirstNamesAndCountsTheRest() throws {
        let source = tinyStore(seed: 1), target = tinyStore(seed: 2)
        let file = try write(namedTensors(source).filter { !$0.name.hasPrefix("VIT_cross.") }, to: "no-cross.safetensors")
        let report = try OfficialWeights.load(file, into: target, strict: false)
        let missing = names(target) { $0.hasPrefix("VIT_cross.") }
        XCTAssertGreaterThan(missing.count, 3)

        let text = report.summary(limit: 3)

        XCTAssertTrue(text.contains("missing \(missing.count)"), text)
        XCTAssertTrue(text.contains(missing.prefix(3).joined(separator: ", ") + ", … and \(missing.count - 3) more"), text)
        XCTAssertFalse(text.contains(missing[3]), text)
        XCTAssertTrue(text.contains("loaded \(report.loaded.count) of \(names(target) { _ in true }.count)"), text)
    }
}
