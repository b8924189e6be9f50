import Autograd

/// What a derived random stream is for. Part of the stream key, so that e.g. the plan of epoch 3
/// and the augmentation of sample 3 never share random numbers.
public enum RandomPurpose: UInt64, Sendable {
    case epochPlan = 1
    case augmentation = 2
    case syntheticLabels = 3
    case syntheticFace = 4
}

extension SeededRNG {
    /// An independent generator for one key under a run seed: (seed, purpose, keys…) are hashed
    /// together with SplitMix64 finalisers, so every random decision of the data pipeline is a
    /// pure function of its key — never of thread timing, rank count or what ran before it.
    public init(seed: UInt64, purpose: RandomPurpose, keys: [UInt64]) {
        var h = Self.mix(seed)
        h = Self.mix(h ^ purpose.rawValue)
        for key in keys { h = Self.mix(h ^ key) }
        self.init(seed: h, stream: 0)
    }

    /// Uniform in [low, high) with 53 bits; `low` when the interval is empty.
    public mutating func uniformDouble(_ low: Double, _ high: Double) -> Double {
        let unit = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return low + (high - low) * unit
    }

    /// Uniform integer in 0..<count (count ≥ 1), without modulo bias (Lemire's multiply-and-
    /// reject). Written out rather than `Int.random(in:using:)`, whose algorithm the standard
    /// library may change: plans and augmentations must not move with the toolchain.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "index(below: \(count))")
        let n = UInt64(count)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// True with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool {
        uniformDouble(0, 1) < p
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
