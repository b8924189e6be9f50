import Autograd
import Foundation
import Safetensors
import XCTest

/// Our ops against PyTorch (float64 reference, scripts/reference/make_engine_fixtures.py): each
/// case runs forward with inputs and parameters as leaves, back-propagates the fixture's `dy`,
/// and compares the output and every gradient at rtol 1e-4, atol 1e-5.
final class PyTorchFixtureTests: XCTestCase {
    /// Leaves for `keys` of the fixture, all requiring gradients.
    private func leaves(_ f: PyTorchFixture, _ g: Graph, _ keys: [String]) throws -> [String: Variable] {
        var out: [String: Variable] = [:]
        for k in keys { out[k] = g.input(try f.tensor(k), requiresGrad: true) }
        return out
    }

    /// Back-propagates `dy` from `y`, then checks `y` and the gradient `d<key>` of every leaf.
    private func backwardAndCheck(_ f: PyTorchFixture, _ g: Graph, _ y: Variable, _ leaves: [String: Variable],
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        g.backward(y, seedGradient: try f.tensor("dy"))
        f.expect(y.value, matches: "y", file: file, line: line)
        for (key, leaf) in leaves.sorted(by: { $0.key < $1.key }) {
            f.expect(g.grad(of: leaf), matches: "d" + key, file: file, line: line)
        }
    }

    func testFixtureFiles_followTheNamingConvention() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: PyTorchFixture.directory.path)
            .filter { $0.hasSuffix(".safetensors") && $0 != "pytorch_dtypes.safetensors" }
        XCTAssertEqual(names.count, 20)
        for file in names {
            let f = try PyTorchFixture(String(file.dropLast(".safetensors".count)))
            XCTAssertEqual(f.file.metadata["case"], f.name)
            XCTAssertTrue(f.has("y") && f.has("dy"), f.name)
            XCTAssertEqual(try f.file.shape(of: "y"), try f.file.shape(of: "dy"), f.name)
            for g in f.file.tensorNames where g.hasPrefix("d") && g != "dy" && f.has(String(g.dropFirst())) {
                XCTAssertEqual(try f.file.shape(of: g), try f.file.shape(of: String(g.dropFirst())), "\(f.name).\(g)")
            }
        }
    }

    func testConv2d_matchesPyTorch() throws {
        for name in ["conv2d_3x3_s1_p1", "conv2d_3x3_s2_p1_odd", "conv2d_1x1_s1", "conv2d_1x1_s2"] {
            let f = try PyTorchFixture(name)
            let g = Graph()
            let v = try leaves(f, g, f.has("bias") ? ["x", "weight", "bias"] : ["x", "weight"])
            let y = v["x"]!.conv2d(weight: v["weight"]!, bias: v["bias"], stride: f.int("stride"), padding: f.int("padding"))
            try backwardAndCheck(f, g, y, v)
        }
    }

    func testBatchNorm2d_matchesPyTorch_inTrainingAndEvaluation() throws {
        for name in ["batchnorm2d_train", "batchnorm2d_eval"] {
            let f = try PyTorchFixture(name)
            let g = Graph(training: f.int("training") == 1)
            let v = try leaves(f, g, ["x", "weight", "bias"])
            let runningMean = try f.tensor("running_mean"), runningVar = try f.tensor("running_var")
            let y = v["x"]!.batchNorm2d(weight: v["weight"]!, bias: v["bias"]!, runningMean: runningMean,
                                        runningVar: runningVar, momentum: f.float("momentum"), eps: f.float("eps"))
            try backwardAndCheck(f, g, y, v)
            f.expect(runningMean, matches: "new_running_mean")
            f.expect(runningVar, matches: "new_running_var")
        }
    }

    func testLayerNorm_matchesPyTorch_forBothEpsilons() throws {
        for name in ["layernorm_eps1e-6", "layernorm_eps1e-5"] {
            let f = try PyTorchFixture(name)
            let g = Graph()
            let v = try leaves(f, g, ["x", "weight", "bias"])
            let y = v["x"]!.layerNorm(weight: v["weight"]!, bias: v["bias"]!, eps: f.float("eps"))
            try backwardAndCheck(f, g, y, v)
        }
    }

    func testGELU_matchesPyTorch() throws {
        let f = try PyTorchFixture("gelu")
        let g = Graph()
        let v = try leaves(f, g, ["x"])
        try backwardAndCheck(f, g, v["x"]!.gelu(), v)
    }

    func testPReLU_matchesPyTorch() throws {
        let f = try PyTorchFixture("prelu")
        let g = Graph()
        let v = try leaves(f, g, ["x", "slopes"])
        try backwardAndCheck(f, g, v["x"]!.prelu(slopes: v["slopes"]!), v)
    }

    func testSoftmaxAndLogSoftmax_matchPyTorch_onInnerAndLastAxes() throws {
        for name in ["softmax_axis1", "softmax_lastaxis", "log_softmax_axis1", "log_softmax_lastaxis"] {
            let f = try PyTorchFixture(name)
            let g = Graph()
            let v = try leaves(f, g, ["x"])
            let axis = f.int("axis")
            let y = name.hasPrefix("log") ? v["x"]!.logSoftmax(axis: axis) : v["x"]!.softmax(axis: axis)
            try backwardAndCheck(f, g, y, v)
        }
    }

    func testLinear_matchesPyTorch() throws {
        let f = try PyTorchFixture("linear")
        let g = Graph()
        let v = try leaves(f, g, ["x", "weight", "bias"])
        try backwardAndCheck(f, g, v["x"]!.linear(weight: v["weight"]!, bias: v["bias"]!), v)
    }

    func testSelfAttention_matchesPyTorch_aloneAndBetweenLinears() throws {
        let f = try PyTorchFixture("attention")
        let heads = f.int("heads")

        // The attention core alone: qkv in, attn_out out, seeded with attn_out's gradient.
        let g = Graph()
        let qkv = g.input(try f.tensor("qkv"), requiresGrad: true)
        let core = qkv.selfAttention(heads: heads)
        g.backward(core, seedGradient: try f.tensor("dattn_out"))
        f.expect(core.value, matches: "attn_out")
        f.expect(g.grad(of: qkv), matches: "dqkv")

        // The whole timm block: x → qkv Linear → attention → proj Linear.
        let h = Graph()
        let v = try leaves(f, h, ["x", "qkv_weight", "qkv_bias", "proj_weight", "proj_bias"])
        let mixed = v["x"]!.linear(weight: v["qkv_weight"]!, bias: v["qkv_bias"]!)
        f.expect(mixed.value, matches: "qkv")
        let y = mixed.selfAttention(heads: heads).linear(weight: v["proj_weight"]!, bias: v["proj_bias"]!)
        try backwardAndCheck(f, h, y, v)
    }

    func testCrossEntropy_matchesPyTorch_withSmoothingAndClassWeights() throws {
        for name in ["cross_entropy_mean", "cross_entropy_smooth", "cross_entropy_weighted", "cross_entropy_weighted_smooth"] {
            let f = try PyTorchFixture(name)
            let g = Graph()
            let v = try leaves(f, g, ["logits"])
            let weights = f.has("class_weights") ? try f.tensor("class_weights").array : nil
            let loss = v["logits"]!.crossEntropy(labels: try f.integers("labels"), labelSmoothing: f.float("label_smoothing"),
                                                 classWeights: weights)
            try backwardAndCheck(f, g, loss, v)
        }
    }
}
