import TestSupport
import XCTest
import Autograd
@testable import NN

final class ConvModulesTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { rng.uniform(-scale, scale) }
    }

    // MARK: - Declarations and initialisation

    func testConv2d_declaresOfficialNames_andPyTorchDefaultInit() {
        var layout = ParameterLayout()
        let conv = Conv2d(name: "ir_back.input_layer.0", inChannels: 3, outChannels: 64, kernel: 3,
                          stride: 1, padding: 1, bias: false, layout: &layout)
        let head = Conv2d(name: "conv1", inChannels: 64, outChannels: 8, kernel: 3, stride: 2, padding: 1,
                          bias: true, layout: &layout)
        XCTAssertNil(conv.bias)
        XCTAssertEqual(layout.parameters.map(\.name), ["ir_back.input_layer.0.weight", "conv1.weight", "conv1.bias"])
        XCTAssertEqual(layout.parameters.map(\.shape), [[64, 3, 3, 3], [8, 64, 3, 3], [8]])
        let store = ParameterStore(layout: layout, seed: 1)
        let bound: Float = 1 / (27 as Float).squareRoot()
        let w = store.value(conv.weight).array
        XCTAssertLessThanOrEqual(w.map(abs).max()!, bound)
        XCTAssertGreaterThan(w.map(abs).max()!, 0.9 * bound)  // spread over the whole interval
        let headBound: Float = 1 / (576 as Float).squareRoot()
        XCTAssertLessThanOrEqual(store.value(head.bias!).array.map(abs).max()!, headBound)
    }

    func testConv2d_kaimingNormalFanOut_init() {
        var layout = ParameterLayout()
        let conv = Conv2d(name: "embed", inChannels: 16, outChannels: 32, kernel: 3, layout: &layout,
                          initializer: .kaimingNormalFanOut)
        let store = ParameterStore(layout: layout, seed: 2)
        let w = store.value(conv.weight).array.map(Double.init)
        let std = (w.map { $0 * $0 }.reduce(0, +) / Double(w.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 288).squareRoot(), accuracy: 0.1 * (2.0 / 288).squareRoot())
        XCTAssertEqual(store.value(conv.bias!).array, [Float](repeating: 0, count: 32))
    }

    func testBatchNorm2d_declaresParametersAndBuffers() {
        var layout = ParameterLayout()
        _ = BatchNorm2d(name: "ir_back.input_layer.1", channels: 4, layout: &layout)
        XCTAssertEqual(layout.parameters.map(\.name), ["ir_back.input_layer.1.weight", "ir_back.input_layer.1.bias"])
        XCTAssertEqual(layout.buffers.map(\.name), ["ir_back.input_layer.1.running_mean", "ir_back.input_layer.1.running_var",
                                                    "ir_back.input_layer.1.num_batches_tracked"])
        XCTAssertEqual(layout.buffers.map(\.shape), [[4], [4], []])
        let store = ParameterStore(layout: layout)
        XCTAssertEqual(store.values.array, [1, 1, 1, 1, 0, 0, 0, 0])
        XCTAssertEqual(store.bufferValues.array, [0, 0, 0, 0, 1, 1, 1, 1, 0])
    }

    func testPReLU_declaresSlopesOfQuarter() {
        var layout = ParameterLayout()
        let p = PReLU(name: "ir_back.input_layer.2", channels: 3, layout: &layout)
        XCTAssertEqual(p.weight.name, "ir_back.input_layer.2.weight")
        XCTAssertEqual(ParameterStore(layout: layout).value(p.weight).array, [0.25, 0.25, 0.25])
    }

    // MARK: - Forward behaviour

    func testBatchNorm2d_trainingUpdatesRunningStatsAndCounter_evaluationDoesNot() {
        var layout = ParameterLayout()
        let bn = BatchNorm2d(name: "bn", channels: 1, layout: &layout, momentum: 0.5)
        let store = ParameterStore(layout: layout)
        let x = Tensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 4])  // μ 2.5, unbiased σ² 5/3
        let train = Graph(parameters: store, training: true)
        _ = bn(train.input(x))
        XCTAssertEqual(store.value(bn.runningMean)[0], 1.25, accuracy: 1e-6)
        XCTAssertEqual(store.value(bn.runningVar)[0], 0.5 + 0.5 * 5 / 3, accuracy: 1e-6)
        XCTAssertEqual(store.value(bn.numBatchesTracked)[0], 1)
        let eval = Graph(parameters: store, training: false)
        let y = bn(eval.input(x))
        XCTAssertEqual(store.value(bn.numBatchesTracked)[0], 1)
        XCTAssertEqual(store.value(bn.runningMean)[0], 1.25, accuracy: 1e-6)
        let s = 1 / (0.5 + 0.5 * 5 / 3 + 1e-5 as Float).squareRoot()
        XCTAssertEqual(y.value[3], (4 - 1.25) * s, accuracy: 1e-5)
    }

    // MARK: - Gradients through the modules (inputs and every parameter)

    func testConv2d_gradientCheck() {
        for (bias, stride, padding, kernel) in [(true, 1, 1, 3), (false, 2, 1, 3), (true, 2, 0, 1), (false, 1, 0, 1)] {
            var layout = ParameterLayout()
            let conv = Conv2d(name: "c", inChannels: 3, outChannels: 4, kernel: kernel, stride: stride,
                              padding: padding, bias: bias, layout: &layout)
            let store = ParameterStore(layout: layout, seed: 3)
            let report = GradientCheck.run(inputs: [random([2, 3, 5, 5], seed: 4)], parameters: store) { _, v in
                conv(v[0])
            }
            XCTAssertTrue(report.passed, "bias \(bias) stride \(stride) padding \(padding) k \(kernel): \(report)")
        }
    }

    func testBatchNorm2d_gradientCheck_trainAndEval() {
        for training in [true, false] {
            var layout = ParameterLayout()
            let bn = BatchNorm2d(name: "bn", channels: 3, layout: &layout)
            let store = ParameterStore(layout: layout)
            // Non-trivial affine parameters and running statistics.
            for (i, v) in random([6], seed: 5).array.enumerated() { store.values[i] = v }
            for (i, v) in random([3], seed: 6).array.enumerated() { store.value(bn.runningMean)[i] = v }
            store.value(bn.runningVar).data.update(repeating: 1.5, count: 3)
            let report = GradientCheck.run(inputs: [random([2, 3, 3, 4], seed: 7, scale: 2)], parameters: store,
                                           training: training, epsilon: 1e-3) { _, v in bn(v[0]) }
            XCTAssertTrue(report.passed, "training \(training): \(report)")
        }
    }

    func testPReLU_gradientCheck_negativeInputs() {
        var layout = ParameterLayout()
        let prelu = PReLU(name: "p", channels: 3, layout: &layout)
        let store = ParameterStore(layout: layout)
        var rng = SeededRNG(seed: 8)
        let x = Tensor(shape: [2, 3, 2, 3]) { -rng.uniform(0.1, 2) * (rng.nextUniform() < 0.7 ? 1 : -1) }
        let report = GradientCheck.run(inputs: [x], parameters: store) { _, v in prelu(v[0]) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    /// The IR-50 input layer: conv3x3 (no bias) → BatchNorm → PReLU, checked end to end.
    func testInputLayerStack_gradientCheck() {
        var layout = ParameterLayout()
        let conv = Conv2d(name: "l.0", inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1,
                          bias: false, layout: &layout)
        let bn = BatchNorm2d(name: "l.1", channels: 4, layout: &layout)
        let prelu = PReLU(name: "l.2", channels: 4, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 9)
        let report = GradientCheck.run(inputs: [random([2, 3, 6, 6], seed: 10)], parameters: store,
                                       epsilon: 1e-3, rtol: 5e-2) { _, v in
            prelu(bn(conv(v[0])))
        }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
