/// Where dropout masks come from: each sample's mask is keyed by (seed, its position in the
/// epoch's global plan, the dropout call), never by a stream shared by a rank's samples. A
/// sample therefore gets the same mask whichever rank computes it and however the batch is
/// sliced, which is what makes N ranks × b the same computation as 1 rank × N·b.
///
/// `key` folds in what must change between masks of the same sample (epoch, step, SAM pass,
/// branch); `positions[i]` is the plan position of row i of the batch; `layer` counts the
/// dropout calls of the pass, in the same order on every rank because the model is the same.
public struct DropoutStream: Sendable {
    public let key: UInt64
    public let positions: [Int]
    private(set) var layer: UInt64 = 0

    public init(key: UInt64, positions: [Int]) {
        self.key = key
        self.positions = positions
    }

    /// A stream for `rows` samples at positions 0..<rows (tests, benchmarks).
    public init(seed: UInt64, rows: Int) {
        self.init(key: seed, positions: Array(0..<rows))
    }

    /// Mixes the parts that distinguish passes into one key (SplitMix64 steps).
    public static func key(_ parts: UInt64...) -> UInt64 {
        var h: UInt64 = 0x51_7CC1_B727_220A
        for p in parts {
            h = (h ^ p) &+ 0x9E37_79B9_7F4A_7C15
            h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
        }
        return h
    }

    /// The generator of row `row` for the next call (`advance` moves to the call after).
    func generator(row: Int) -> SeededRNG {
        SeededRNG(seed: Self.key(key, layer), stream: UInt64(positions[row]))
    }

    mutating func advance() { layer &+= 1 }
}
