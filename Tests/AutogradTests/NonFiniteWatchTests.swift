import XCTest
@testable import Autograd

/// `NonFiniteWatch` names where the first NaN or infinity of a pass appears: the leaf, the op
/// (with its inputs) and, in backward, the first op handed a non-finite gradient.
final class NonFiniteWatchTests: XCTestCase {
    func store() -> (ParameterStore, Parameter) {
        var layout = ParameterLayout()
        let p = layout.parameter("head.weight", [3], .constant(1))
        return (ParameterStore(layout: layout), p)
    }

    func testFiniteValues_findNothing() {
        let (store, p) = store()
        let g = Graph(parameters: store)
        let watch = NonFiniteWatch()
        g.nonFiniteWatch = watch
        let y = (g.input(Tensor(shape: [3], values: [1, 2, 3])) * g.param(p)).sum()
        g.backward(y)
        XCTAssertFalse(watch.foundAny)
        XCTAssertEqual(store.gradients.array, [1, 2, 3])
    }

    func testDivisionByZero_isTheFirstOp_withItsInputsNamed() throws {
        let (store, p) = store()
        let g = Graph(parameters: store)
        let watch = NonFiniteWatch()
        g.nonFiniteWatch = watch
        let x = g.input(Tensor(shape: [3], values: [1, 0, 2]))
        let q = g.param(p) / x                  // 1/0 = inf
        let r = q * g.input(Tensor(zeros: [3]))  // inf·0 = NaN: later, not first
        _ = r.sum()
        XCTAssertNil(watch.firstLeaf)
        let op = try XCTUnwrap(watch.firstOp)
        XCTAssertEqual(op.what, "divide")
        XCTAssertEqual(op.node, q.id)
        XCTAssertEqual(op.shape, [3])
        XCTAssertEqual(op.infinityCount, 1)
        XCTAssertEqual(op.nanCount, 0)
        XCTAssertEqual(op.inputs, ["parameter head.weight [3]", "input [3]"])
        XCTAssertTrue(op.description.contains("divide [3]: 0 NaN, 1 infinite of 3"), op.description)
    }

    func testNonFiniteInputAndParameter_areLeaves() throws {
        let (store, p) = store()
        store.values.data[1] = .nan
        let g = Graph(parameters: store)
        let watch = NonFiniteWatch()
        g.nonFiniteWatch = watch
        _ = g.input(Tensor(shape: [2], values: [0, 1]))
        _ = g.param(p)
        XCTAssertEqual(watch.firstLeaf?.what, "parameter head.weight")
        XCTAssertEqual(watch.firstLeaf?.nanCount, 1)
        watch.clear()
        XCTAssertFalse(watch.foundAny)
        _ = g.input(Tensor(shape: [2], values: [.infinity, -.infinity]))
        XCTAssertEqual(watch.firstLeaf?.what, "input")
        XCTAssertEqual(watch.firstLeaf?.infinityCount, 2)
    }

    /// A finite forward whose backward goes non-finite: the op handed the bad gradient is named.
    func testNonFiniteGradient_namesTheOpThatReceivedIt() throws {
        let (store, p) = store()
        let g = Graph(parameters: store)
        let watch = NonFiniteWatch()
        g.nonFiniteWatch = watch
        let y = g.input(Tensor(shape: [3], values: [1, 2, 3])) * g.param(p)
        g.backward(y, seedGradient: Tensor(shape: [3], values: [1, .nan, 1]))
        XCTAssertNil(watch.firstOp)
        let gradient = try XCTUnwrap(watch.firstGradient)
        XCTAssertEqual(gradient.what, "multiply")
        XCTAssertEqual(gradient.node, y.id)
        XCTAssertEqual(gradient.nanCount, 1)
        XCTAssertTrue(store.gradients.data[1].isNaN)
    }

    /// Each `reset` starts a new tape (a micro-batch): findings say which, and names of an
    /// earlier tape's parameters do not leak onto the next one's nodes.
    func testTapes_areCounted_andParameterNamesDoNotLeak() throws {
        let (store, p) = store()
        let g = Graph(parameters: store)
        let watch = NonFiniteWatch()
        g.nonFiniteWatch = watch
        _ = g.param(p)
        g.reset()
        let zero = g.input(Tensor(zeros: [3]))
        let q = zero / zero
        let op = try XCTUnwrap(watch.firstOp)
        XCTAssertEqual(op.tape, 1)
        XCTAssertEqual(op.node, q.id)
        XCTAssertEqual(op.inputs, ["input [3]", "input [3]"])
        XCTAssertTrue(op.description.hasPrefix("micro-batch 2, node 1 divide"), op.description)
    }
}
