/// What one rank says at the end of a step, before anything is updated: the requests and
/// problems that every rank must act on together, and the figures rank 0 reports.
public struct RankReport: Sendable, Equatable {
    /// A stop signal (SIGTERM, SIGINT) this rank received, 0 for none.
    public var stopSignal: Int32 = 0
    /// SIGUSR1: write a checkpoint at this step boundary and go on.
    public var checkpointRequested = false
    /// This rank could not do its part of the step (it has printed why).
    public var failed = false
    /// Its loss or gradient norm is NaN or infinite.
    public var nonFinite = false
    /// Its own loss is (not only the global gradient norm, which every rank shares): this is
    /// where the non-finite value came from.
    public var lossNonFinite = false
    /// Quadruplets it computed.
    public var samples = 0
    /// Seconds of forward/backward, of exchange not hidden behind backward, of waiting for data.
    public var computeSeconds = 0.0, exchangeSeconds = 0.0, dataSeconds = 0.0
    public var bytesSent = 0
    /// Its loss and accuracy sums, which the decision adds over ranks.
    public var figures = StepFigures()

    public init() {}

    static let fixedFields = 10

    var encoded: [Double] {
        [Double(stopSignal), checkpointRequested ? 1 : 0, failed ? 1 : 0, lossNonFinite ? 2 : nonFinite ? 1 : 0, Double(samples),
         computeSeconds, exchangeSeconds, dataSeconds, Double(bytesSent), Double(StepFigures.count)] + figures.values
    }

    init(decoding v: ArraySlice<Double>) {
        let f = Array(v)
        stopSignal = Int32(f[0])
        checkpointRequested = f[1] != 0
        failed = f[2] != 0
        nonFinite = f[3] != 0
        lossNonFinite = f[3] == 2
        samples = Int(f[4])
        computeSeconds = f[5]; exchangeSeconds = f[6]; dataSeconds = f[7]
        bytesSent = Int(f[8])
        figures = StepFigures(values: f[Self.fixedFields...])
    }
}

/// What every rank decided together from all the reports of a step: the same value on every
/// rank, so all act at the same step.
public struct StepDecision: Sendable, Equatable {
    /// Every rank's report, in rank order.
    public let reports: [RankReport]

    public var stopRequested: Bool { reports.contains { $0.stopSignal != 0 } }
    /// The first stop signal (lowest rank), for messages.
    public var stopSignal: Int32? { reports.first { $0.stopSignal != 0 }?.stopSignal }
    public var checkpointRequested: Bool { reports.contains { $0.checkpointRequested } }
    public var failedRanks: [Int] { reports.indices.filter { reports[$0].failed } }
    public var nonFiniteRanks: [Int] { reports.indices.filter { reports[$0].nonFinite } }
    public var nonFiniteLossRanks: [Int] { reports.indices.filter { reports[$0].lossNonFinite } }
    public var samples: Int { reports.reduce(0) { $0 + $1.samples } }
    /// The step's figures over every rank.
    public var figures: StepFigures { reports.reduce(StepFigures()) { $0 + $1.figures } }
    /// The rank whose compute took longest, and its seconds.
    public var slowest: (rank: Int, seconds: Double) {
        let i = reports.indices.max { reports[$0].computeSeconds < reports[$1].computeSeconds } ?? 0
        return (i, reports.isEmpty ? 0 : reports[i].computeSeconds)
    }

    /// One allgather of every rank's report: the step's only coordination message.
    public static func gather(_ mine: RankReport, over comm: Communicator) throws -> StepDecision {
        let all = try comm.allgather(mine.encoded)
        guard Set(all.map(\.count)).count == 1 else {
            throw CommunicationError.countMismatch(call: "StepDecision.gather",
                                                   detail: "ranks report \(all.map(\.count)) values; they run different versions")
        }
        return StepDecision(reports: all.map { RankReport(decoding: $0[...]) })
    }
}
