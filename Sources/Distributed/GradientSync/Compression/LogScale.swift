import Foundation

/// A positive scale in one byte, on a logarithmic grid of quarter powers of two: code k in
/// 1...254 stands for 2^((k − 161)/4), from 2^−40 (9·10⁻¹³) to 2^23.25 (10⁷); 0 is zero, 255 NaN.
/// Rounding to the grid is off by at most 9 %; error feedback keeps what that loses. Below the
/// grid a scale is sent as zero and above it as the top: both are residuals too.
public enum LogScale {
    public static let nanCode: UInt8 = 255

    public static func encode(_ scale: Float) -> UInt8 {
        guard !scale.isNaN, !scale.isInfinite else { return nanCode }
        guard scale > 0 else { return 0 }
        let k = (4 * log2(Double(scale))).rounded() + 161
        if k < 1 { return 0 }
        return UInt8(min(k, 254))
    }

    public static func decode(_ code: UInt8) -> Float {
        switch code {
        case 0: 0
        case nanCode: .nan
        default: table[Int(code)]
        }
    }

    private static let table: [Float] = (0..<256).map { Float(pow(2, (Double($0) - 161) / 4)) }
}
