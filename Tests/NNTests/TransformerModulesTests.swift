import TestSupport
import XCTest
import Autograd
import NN

final class TransformerModulesTests: XCTestCase {
    private func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape) { rng.uniform(-scale, scale) }
    }

    private func names(_ layout: ParameterLayout) -> [String] { layout.parameters.map(\.name) }
    private func shapes(_ layout: ParameterLayout) -> [[Int]] { layout.parameters.map(\.shape) }

    /// Makes every parameter random so checks do not pass by accident at ones or zeros.
    private func randomise(_ store: ParameterStore, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        for i in 0..<store.values.count { store.values[i] = rng.uniform(-1, 1) }
    }

    // MARK: - Linear

    func testLinear_declaresPyTorchNamesShapesAndDefaultInit() {
        var layout = ParameterLayout()
        _ = Linear(name: "head", inFeatures: 16, outFeatures: 3, layout: &layout)
        _ = Linear(name: "proj", inFeatures: 4, outFeatures: 2, bias: false, layout: &layout)
        XCTAssertEqual(names(layout), ["head.weight", "head.bias", "proj.weight"])
        XCTAssertEqual(shapes(layout), [[3, 16], [3], [2, 4]])
        let store = ParameterStore(layout: layout, seed: 1)
        // PyTorch's defaults: weight and bias both U(±1/√in) = U(±0.25) for in = 16.
        for name in ["head.weight", "head.bias"] {
            let values = store.value(store.named(name)!).array
            XCTAssertTrue(values.allSatisfy { abs($0) <= 0.25 }, name)
            XCTAssertGreaterThan(values.map(abs).max()!, 0.1, name)
        }
    }

    func testLinear_vitInit_isTruncatedNormalWithZeroBias() {
        var layout = ParameterLayout()
        _ = Linear(name: "fc", inFeatures: 64, outFeatures: 64, layout: &layout,
                   weightInit: Linear.vitWeightInit, biasInit: Linear.vitBiasInit)
        let store = ParameterStore(layout: layout, seed: 2)
        let w = store.value(store.named("fc.weight")!).array
        let std = (w.reduce(0) { $0 + Double($1 * $1) } / Double(w.count)).squareRoot()
        XCTAssertEqual(std, 0.01, accuracy: 0.001)
        XCTAssertTrue(store.value(store.named("fc.bias")!).array.allSatisfy { $0 == 0 })
    }

    func testLinear_3DInput_gradientMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let fc = Linear(name: "fc", inFeatures: 4, outFeatures: 5, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 3)
        let report = GradientCheck.run(inputs: [random([2, 3, 4], seed: 4)], parameters: store) { _, v in fc(v[0]) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testLinear_2DInputNoBias_gradientMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let fc = Linear(name: "fc", inFeatures: 3, outFeatures: 2, bias: false, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 5)
        let report = GradientCheck.run(inputs: [random([5, 3], seed: 6)], parameters: store) { _, v in fc(v[0]) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    // MARK: - LayerNorm

    func testLayerNorm_declaresOnesAndZeros_andGradientMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let norm = LayerNorm(name: "norm1", features: 6, eps: 1e-6, layout: &layout)
        XCTAssertEqual(names(layout), ["norm1.weight", "norm1.bias"])
        let store = ParameterStore(layout: layout, seed: 7)
        XCTAssertEqual(store.value(norm.weight).array, [Float](repeating: 1, count: 6))
        XCTAssertEqual(store.value(norm.bias).array, [Float](repeating: 0, count: 6))
        randomise(store, seed: 8)
        let report = GradientCheck.run(inputs: [random([2, 3, 6], seed: 9)], parameters: store) { _, v in norm(v[0]) }
        XCTAssertTrue(report.passed, "\(report)")
    }

    // MARK: - Dropout

    func testDropoutModule_inEvaluation_isIdentity() {
        let g = Graph(training: false)
        let x = g.input(random([3, 4], seed: 10))
        var masks = DropoutStream(seed: 11, rows: x.shape[0])
        XCTAssertEqual(Dropout(p: 0.2)(x, masks: &masks).id, x.id)
    }

    // MARK: - MLP

    func testMLP_declaresTimmNames() {
        var layout = ParameterLayout()
        _ = MLP(name: "blocks.0.mlp", features: 4, hidden: 8, dropout: 0, layout: &layout)
        XCTAssertEqual(names(layout), ["blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias",
                                       "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias"])
        XCTAssertEqual(shapes(layout), [[8, 4], [8], [4, 8], [4]])
    }

    func testMLP_inEvaluation_isFC1GeluFC2() {
        var layout = ParameterLayout()
        let mlp = MLP(name: "mlp", features: 4, hidden: 6, dropout: 0.5, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 12)
        let g = Graph(parameters: store, training: false)
        let x = g.input(random([2, 3, 4], seed: 13))
        var masks = DropoutStream(seed: 14, rows: x.shape[0])
        let y = mlp(x, masks: &masks)
        let expected = x.linear(weight: g.param(mlp.fc1.weight), bias: g.param(mlp.fc1.bias!)).gelu()
            .linear(weight: g.param(mlp.fc2.weight), bias: g.param(mlp.fc2.bias!))
        XCTAssertEqual(y.value.array, expected.value.array)
    }

    func testMLP_withDropoutInTraining_gradientMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let mlp = MLP(name: "mlp", features: 4, hidden: 6, dropout: 0.3, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 15)
        // A fresh stream with the same seed in every forward pass gives the same masks.
        let report = GradientCheck.run(inputs: [random([2, 3, 4], seed: 16)], parameters: store,
                                       training: true) { _, v in
            var masks = DropoutStream(seed: 17, rows: v[0].shape[0])
            return mlp(v[0], masks: &masks)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    // MARK: - MultiHeadAttention

    func testMultiHeadAttention_declaresTimmNames() {
        var layout = ParameterLayout()
        _ = MultiHeadAttention(name: "blocks.1.attn", features: 6, heads: 3, projectionDropout: 0, layout: &layout)
        XCTAssertEqual(names(layout), ["blocks.1.attn.qkv.weight", "blocks.1.attn.qkv.bias",
                                       "blocks.1.attn.proj.weight", "blocks.1.attn.proj.bias"])
        XCTAssertEqual(shapes(layout), [[18, 6], [18], [6, 6], [6]])
    }

    func testMultiHeadAttention_inEvaluation_isQKVAttentionProj() {
        var layout = ParameterLayout()
        let attn = MultiHeadAttention(name: "attn", features: 6, heads: 2, projectionDropout: 0.2, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 18)
        let g = Graph(parameters: store, training: false)
        let x = g.input(random([2, 5, 6], seed: 19))
        var masks = DropoutStream(seed: 20, rows: x.shape[0])
        let y = attn(x, masks: &masks)
        let expected = x.linear(weight: g.param(attn.qkv.weight), bias: g.param(attn.qkv.bias!))
            .selfAttention(heads: 2)
            .linear(weight: g.param(attn.proj.weight), bias: g.param(attn.proj.bias!))
        XCTAssertEqual(y.value.array, expected.value.array)
    }

    func testMultiHeadAttention_threeHeads_withDropout_gradientMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let attn = MultiHeadAttention(name: "attn", features: 6, heads: 3, projectionDropout: 0.2, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 21)
        randomise(store, seed: 22)
        let report = GradientCheck.run(inputs: [random([2, 5, 6], seed: 23)], parameters: store,
                                       training: true) { _, v in
            var masks = DropoutStream(seed: 24, rows: v[0].shape[0])
            return attn(v[0], masks: &masks)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }

    func testMultiHeadAttention_oneHead_gradientMatchesFiniteDifferences() {
        var layout = ParameterLayout()
        let attn = MultiHeadAttention(name: "attn", features: 4, heads: 1, layout: &layout)
        let store = ParameterStore(layout: layout, seed: 25)
        randomise(store, seed: 26)
        let report = GradientCheck.run(inputs: [random([1, 7, 4], seed: 27)], parameters: store) { _, v in
            var masks = DropoutStream(seed: 28, rows: v[0].shape[0])
            return attn(v[0], masks: &masks)
        }
        XCTAssertTrue(report.passed, "\(report)")
    }
}
