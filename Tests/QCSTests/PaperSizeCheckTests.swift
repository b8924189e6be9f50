import XCTest
import Foundation
@testable import Autograd
@testable import QCS
@testable import Safetensors

/// The paper-size model against PyTorch, on demand: `scripts/reference/check_paper_size.sh` writes
/// the paper weights initialised as docs/MODEL.md says, one image and PyTorch's base logits, then runs this test
/// with QCS_PAPER_CHECK pointing at that file. Skipped otherwise (the file is 270 MB).
final class PaperSizeCheckTests: XCTestCase {
    func testPaperModel_baseLogitsMatchPyTorch() throws {
        guard let path = ProcessInfo.processInfo.environment["QCS_PAPER_CHECK"] else {
            throw XCTSkip("set QCS_PAPER_CHECK to the file written by scripts/reference/check_paper_size.sh")
        }
        let file = try SafetensorsFile(path: path)
        let (model, store) = QCSModel.build(.paper, seed: 1)
        for p in store.layout.parameters + store.layout.buffers { store.value(p).assign(try file.tensor(named: p.name)) }
        store.requiresGrad = false
        let input = try file.tensor(named: "input")
        for (mode, training) in [("eval", false), ("train", true)] {
            let buffers = store.bufferValues.copy()
            let g = Graph(parameters: store, training: training)
            var masks = DropoutStream(seed: 0, rows: input.shape[0])
            let out = withExtendedLifetime(g) { model.base(g.input(input), masks: &masks) }
            store.bufferValues.assign(buffers)
            let theirs = try file.tensor(named: "base_logits.\(mode)")
            var worst: Float = 0, scale: Float = 0
            for i in 0..<theirs.count {
                worst = max(worst, abs(out.logits.value[i] - theirs[i]))
                scale = max(scale, abs(theirs[i]))
            }
            print("paper-size check (\(mode) mode): max |qcs − PyTorch| = \(worst) on logits up to \(scale)")
            XCTAssertLessThanOrEqual(worst, 1e-4 * scale + 1e-5, mode)
            if !training {
                let tokens = try file.tensor(named: "tokens.eval")
                var t: Float = 0
                for i in 0..<tokens.count { t = max(t, abs(out.tokens.value[i] - tokens[i])) }
                print("paper-size check: max |Δ tokens| = \(t)")
                XCTAssertLessThan(t, 1e-3)
            }
        }
    }
}
