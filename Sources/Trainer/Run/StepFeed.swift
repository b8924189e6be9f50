import DataPipeline
import Foundation
import QCS

/// One epoch of this rank's input, a step at a time: `grad_accumulation` global batches per
/// step, each this rank's slice (possibly empty). Every rank gets the same number of steps, so
/// collectives stay matched. A slice that cannot be loaded (a bad image under `on_bad_image:
/// stop`) ends this rank's feed with the error: the step goes on with no samples from it and the
/// ranks stop together at its end.
final class StepFeed {
    struct Input {
        /// This rank's micro-batches of the step, one per global batch (possibly empty).
        var batches: [QuadrupletBatch]
        /// Global batches the step consumes.
        var globalBatches: Int
        var dataSeconds: Double
        /// Why this rank has nothing for the step, if it failed to load its slice.
        var error: Error?
    }

    private let loader: QuadrupletLoader
    private let accumulation: Int
    private var remaining: Int
    private var failed = false
    /// The global step number (from 1) of the next input; a test's fault to put into this rank's inputs.
    private var step: Int
    private let rank: Int
    private let fault: TestFault?

    init(loader: QuadrupletLoader, accumulation: Int, firstStep: Int, rank: Int, fault: TestFault?) {
        self.loader = loader
        self.accumulation = accumulation
        remaining = loader.batchCount
        step = firstStep
        self.rank = rank
        self.fault = fault
    }

    /// Steps left in this epoch.
    var stepsLeft: Int { (remaining + accumulation - 1) / accumulation }

    /// The next step's input, or nil when the epoch is over.
    func next() -> Input? {
        guard remaining > 0 else { return nil }
        let count = min(accumulation, remaining)
        remaining -= count
        let start = DispatchTime.now().uptimeNanoseconds
        var input = Input(batches: [], globalBatches: count, dataSeconds: 0, error: nil)
        if !failed {
            do {
                for _ in 0..<count {
                    guard let loaded = try loader.next() else { break }
                    input.batches.append(QuadrupletBatch(
                        anchor: loaded.anchor, positive: loaded.positive, negative: loaded.negative,
                        negative2: loaded.negative2, labels: loaded.labels, negativeLabels: loaded.negativeLabels,
                        positions: loaded.positions))
                }
            } catch {
                failed = true
                input.batches = []
                input.error = error
            }
        }
        input.dataSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        fault?.corrupt(input.batches, rank: rank, step: step)
        step += 1
        return input
    }
}
