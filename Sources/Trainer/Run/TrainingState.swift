import Autograd

/// Where a run is: the cursor a checkpoint saves and a resume restores. The same value on every
/// rank (they advance it on the same collective decisions).
public struct TrainingState: Sendable, Equatable, Codable {
    /// 0-based epoch in progress (equal to the epoch count once the run has finished).
    public var epoch = 0
    /// Global batches of this epoch already consumed (a step consumes `grad_accumulation` of them).
    public var batchInEpoch = 0
    /// Optimiser steps taken or dropped so far over the whole run.
    public var globalStep = 0
    /// Steps dropped (non-finite under `skip_step`, or no samples at all), counted in `globalStep`.
    public var skippedSteps = 0
    /// Best test accuracy of any evaluation so far, and that of the latest one.
    public var bestTestAccuracy: Double?
    public var lastTestAccuracy: Double?
    /// The figures of the epoch in progress so far.
    public var epochTally = EpochTally()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epoch, batchInEpoch, globalStep, skippedSteps, bestTestAccuracy, lastTestAccuracy, epochTally
    }

    /// Also reads the cursors of checkpoints written before the tally was kept.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        batchInEpoch = try c.decode(Int.self, forKey: .batchInEpoch)
        globalStep = try c.decode(Int.self, forKey: .globalStep)
        skippedSteps = try c.decode(Int.self, forKey: .skippedSteps)
        bestTestAccuracy = try c.decodeIfPresent(Double.self, forKey: .bestTestAccuracy)
        lastTestAccuracy = try c.decodeIfPresent(Double.self, forKey: .lastTestAccuracy)
        if let tally = try c.decodeIfPresent(EpochTally.self, forKey: .epochTally) {
            epochTally = tally
        } else {
            epochTally.partial = batchInEpoch > 0
        }
    }

    /// One step done over `batches` global batches.
    mutating func advance(batches: Int, skipped: Bool) {
        batchInEpoch += batches
        globalStep += 1
        if skipped { skippedSteps += 1 }
    }

    /// The key of this step's dropout masks: unique per step, the same on every rank (with the SAM
    /// pass and each sample's plan position it keys every mask).
    func dropoutKey(seed: UInt64) -> UInt64 {
        DropoutStream.key(seed, UInt64(epoch), UInt64(globalStep))
    }

    mutating func startNextEpoch() {
        epoch += 1
        batchInEpoch = 0
        epochTally = EpochTally()
    }
}
