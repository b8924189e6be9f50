import XCTest
@testable import Autograd

/// Deterministic random tensors for tests.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor(shape: shape) { rng.uniform(-scale, scale) }
}

/// Forward-only evaluation on a fresh graph.
func evaluate(_ inputs: [Tensor], _ f: ([Variable]) -> Variable) -> Tensor {
    let g = Graph()
    // Variables hold their graph unowned: keep it alive while the ops run.
    return withExtendedLifetime(g) { f(inputs.map { g.input($0) }).value.copy() }
}

/// Element-wise |a − b| ≤ tolerance, with the worst difference in the message.
func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
    let worst = zip(a.array, b.array).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max difference \(worst)", file: file, line: line)
}
