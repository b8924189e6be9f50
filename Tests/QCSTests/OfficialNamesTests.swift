import XCTest
import Foundation
@testable import Autograd
@testable import QCS

final class OfficialNamesTests: XCTestCase {
    /// name → shape from the official state dict listing (scalars have an empty shape).
    func officialShapes() throws -> [String: [Int]] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/qcs_official_state_dict", withExtension: "tsv"))
        var table: [String: [Int]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            let shape = cols.count > 1 && !cols[1].isEmpty ? cols[1].split(separator: "x").map { Int($0)! } : []
            table[String(cols[0])] = shape
        }
        return table
    }

    /// Modules the official checkpoint declares but never runs.
    func isNeverUsed(_ name: String) -> Bool {
        ["ir_back.output_layer.", "ir_back.body4.", ".patch_embed.", ".eca_block.", ".CON1.", ".IRLinear1.", ".IRLinear2."]
            .contains { name.contains($0) } || name.range(of: #"\.blocks\.\d+\.conv\."#, options: .regularExpression) != nil
    }

    func testPaperModel_namesAndShapesMatchTheOfficialCheckpoint() throws {
        let official = try officialShapes()
        var layout = ParameterLayout()
        _ = QCSModel(config: .paper, layout: &layout)
        let ours = layout.parameters + layout.buffers
        for p in ours {
            let expected = try XCTUnwrap(official[p.name], "\(p.name) is not in the official checkpoint")
            XCTAssertEqual(p.shape, expected, p.name)
        }
        let missing = Set(official.keys).subtracting(ours.map(\.name)).filter { !isNeverUsed($0) }
        XCTAssertEqual(missing.sorted(), [], "official tensors we do not build")
    }

    /// docs/MODEL.md: inference 40.7M parameters, training 66.8M (never-used modules excluded).
    func testPaperModel_parameterCounts() {
        var layout = ParameterLayout()
        let model = QCSModel(config: .paper, layout: &layout)
        XCTAssertEqual(Double(model.inferenceParameterCount) / 1e6, 40.7, accuracy: 0.05)
        XCTAssertEqual(Double(layout.parameterCount) / 1e6, 66.8, accuracy: 0.05)
    }
}
