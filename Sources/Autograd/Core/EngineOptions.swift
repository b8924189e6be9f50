/// The engine's switches: the Winograd tile of the 3x3 convs, what bfloat16 runs those convs on,
/// and who threads the GEMMs. A process fixes them once when it starts (the CLI reads them from
/// the environment, `EngineOptions(environment:)`) and hands them to its `ComputePool`, which every
/// op and kernel is given: no kernel reads a process-wide switch, and two pools in one process
/// (tests, benchmarks) can differ.
public struct EngineOptions: Sendable, Equatable {
    /// The output tile of the Winograd convs (`ConvKernel`): F(4x4, 3x3) does 4x fewer multiplies
    /// than a direct conv at a few 1e-6 relative fp32 error; F(2x2, 3x3) 2.25x fewer at about 1e-7.
    public enum WinogradTile: Int, Sendable, CaseIterable {
        case f2x2 = 2
        case f4x4 = 4
    }

    /// Who runs a large GEMM on several threads.
    public enum GEMMThreads: Sendable, CaseIterable {
        /// qcs cuts it into one block per pool thread and OpenBLAS runs single-threaded (`ComputePool`).
        case poolBlocks
        /// OpenBLAS's own threads, as many as the pool's; qcs calls it whole.
        case openBLAS
    }

    public var winogradTile: WinogradTile
    public var bf16Conv: BFloat16ConvChoice
    public var gemmThreads: GEMMThreads

    public init(winogradTile: WinogradTile = .f4x4, bf16Conv: BFloat16ConvChoice = .automatic,
                gemmThreads: GEMMThreads = .poolBlocks) {
        self.winogradTile = winogradTile
        self.bf16Conv = bf16Conv
        self.gemmThreads = gemmThreads
    }

    /// The switches from `QCS_WINOGRAD_TILE` (4 or 2), `QCS_BF16_CONV` (automatic, gemm or
    /// winograd) and `QCS_OPENBLAS_THREADS` (1: OpenBLAS threads the GEMMs); unset or empty
    /// variables keep the defaults. A value outside those is an error naming the variable, not
    /// a silent default: a benchmark that asked for F(2x2) must not time F(4x4).
    public init(environment: [String: String]) throws(EngineOptionsError) {
        func value(_ name: String, _ allowed: [String]) throws(EngineOptionsError) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            guard allowed.contains(value) else { throw EngineOptionsError(variable: name, value: value, allowed: allowed) }
            return value
        }
        self.init()
        if let tile = try value("QCS_WINOGRAD_TILE", ["4", "2"]) {
            winogradTile = tile == "2" ? .f2x2 : .f4x4
        }
        if let choice = try value("QCS_BF16_CONV", BFloat16ConvChoice.allCases.map(\.rawValue)) {
            bf16Conv = BFloat16ConvChoice(rawValue: choice) ?? .automatic
        }
        if let threads = try value("QCS_OPENBLAS_THREADS", ["0", "1"]) {
            gemmThreads = threads == "1" ? .openBLAS : .poolBlocks
        }
    }
}

/// An engine variable set to a value it does not take.
public struct EngineOptionsError: Error, CustomStringConvertible {
    public let variable: String
    public let value: String
    public let allowed: [String]

    public var description: String {
        "\(variable)=\(value) is not a value it takes; use one of \(allowed.joined(separator: ", ")) "
            + "or unset it (default \(allowed[0]))"
    }
}
