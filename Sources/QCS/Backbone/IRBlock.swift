import Autograd
import NN

/// IR-50's unit ("bottleneck_IR"), in → out channels with stride s:
///   residual = BN(in) → conv3x3 in→out s1 → PReLU(out) → conv3x3 out→out stride s → BN(out)
///   shortcut = subsample by s when in == out, else conv1x1 in→out stride s → BN
///   output   = residual + shortcut (no activation after the sum)
/// Names follow the official checkpoint: `res_layer.0…4`, `shortcut_layer.0…1`.
public struct IRBlock {
    let bn1: BatchNorm2d
    let conv1: Conv2d
    let prelu: PReLU
    let conv2: Conv2d
    let bn2: BatchNorm2d
    let shortcut: (conv: Conv2d, bn: BatchNorm2d)?
    let stride: Int

    public init(name: String, inChannels: Int, outChannels: Int, stride: Int, layout: inout ParameterLayout) {
        bn1 = BatchNorm2d(name: "\(name).res_layer.0", channels: inChannels, layout: &layout)
        conv1 = Conv2d(name: "\(name).res_layer.1", inChannels: inChannels, outChannels: outChannels, kernel: 3,
                       stride: 1, padding: 1, bias: false, layout: &layout)
        prelu = PReLU(name: "\(name).res_layer.2", channels: outChannels, layout: &layout)
        conv2 = Conv2d(name: "\(name).res_layer.3", inChannels: outChannels, outChannels: outChannels, kernel: 3,
                       stride: stride, padding: 1, bias: false, layout: &layout)
        bn2 = BatchNorm2d(name: "\(name).res_layer.4", channels: outChannels, layout: &layout)
        if inChannels == outChannels {
            shortcut = nil
        } else {
            shortcut = (Conv2d(name: "\(name).shortcut_layer.0", inChannels: inChannels, outChannels: outChannels,
                               kernel: 1, stride: stride, padding: 0, bias: false, layout: &layout),
                        BatchNorm2d(name: "\(name).shortcut_layer.1", channels: outChannels, layout: &layout))
        }
        self.stride = stride
    }

    /// x [N, Cin, H, W] → [N, Cout, ⌈H/s⌉, ⌈W/s⌉].
    public func callAsFunction(_ x: Variable) -> Variable {
        let skip = shortcut.map { $0.bn($0.conv(x)) } ?? (stride == 1 ? x : x.subsample(stride: stride))
        // residual + skip, the sum made by the residual branch's last BatchNorm in its own pass.
        return bn2(conv2(prelu(conv1(bn1(x)))), adding: skip)
    }
}
