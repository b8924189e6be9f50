import Autograd
import Foundation

/// The multi-rank `GradientSynchronizer`: bucketed allreduce on a communication thread,
/// overlapped with backward.
///
/// 1. `beginPass` queues a one-number allreduce of the sample counts (Σ_r B_r).
/// 2. As backward reports parameters final, a bucket whose parameters are all final is queued,
///    strictly in bucket order (0, 1, 2, …), so every rank issues the same collectives in the
///    same order whatever its own timing, and a rank with an empty slice (which reports nothing)
///    stays in step.
/// 3. The communication thread sums each bucket over the ranks with its own duplicate of the
///    communicator (its messages never mix with the main thread's) and scales it by 1/Σ_r B_r.
/// 4. `finish` queues whatever was not reported, waits, and measures what was not hidden.
///
/// With `owners` (ZeRO-1) each bucket is reduce-scattered instead: rank r receives the sum of
/// the bucket's elements inside `owners[r]` and only those are final (and scaled); the rest of
/// its gradient buffer keeps its local values, which nothing may read.
public final class BucketedGradientExchange: GradientSynchronizer {
    public let plan: GradientBucketPlan
    private let gradients: UnsafeMutablePointer<Float>
    private let store: ParameterStore
    private let communicator: Communicator
    private let thread: CommunicationThread
    private let tally = ExchangeTally()
    /// The reduce-scattered pieces land here (used by the communication thread only).
    private let received = ByteScratch()
    /// How each bucket is summed (its state, if any, is the checkpoint's to save).
    public let bucketSum: BucketSum
    /// Each rank's range of the flat buffer, when buckets are reduce-scattered to their owners.
    public let owners: [Range<Int>]?
    private var remaining: [Int]
    private var nextToLaunch = 0
    private var launched: [Int] = []
    private var passOpen = false
    private var stream = 0, step = 0

    /// Buckets queued so far in the open pass, in launch order.
    public var launchedBuckets: [Int] { launched }

    /// - Parameters:
    ///   - communicator: the job's ranks; a duplicate is taken for the communication thread
    ///     (collective: every rank constructs its exchange at the same point).
    ///   - bucketBytes: the bucket capacity (`distributed.bucket_mb` · 2²⁰).
    ///   - bucketSum: how a bucket is summed (full precision, or compressed on the wire); it is
    ///     prepared for this plan and `streams` passes per step (SAM: 2).
    ///   - owners: reduce-scatter to these ranges, one per rank, ascending (float32 only).
    public init(communicator: Communicator, store: ParameterStore, bucketBytes: Int,
                bucketSum: BucketSum = FullPrecisionSum(), streams: Int = 1, owners: [Range<Int>]? = nil) throws {
        precondition(owners == nil || (bucketSum is FullPrecisionSum && owners!.count == communicator.size),
                     "reduce-scatter needs float32 buckets and one range per rank")
        self.store = store
        self.bucketSum = bucketSum
        self.owners = owners
        gradients = store.gradients.data
        plan = GradientBucketPlan(layout: store.layout, capBytes: bucketBytes)
        bucketSum.prepare(buckets: plan.contents(store.layout), rank: communicator.rank, ranks: communicator.size,
                          streams: streams)
        remaining = plan.parameterCounts
        self.communicator = try communicator.duplicate()
        thread = CommunicationThread(name: "qcs-gradient-exchange")
    }

    public func beginPass(localSamples: Int, stream: Int, step: Int) throws {
        precondition(!passOpen, "beginPass twice without finish")
        passOpen = true
        self.stream = stream
        self.step = step
        remaining = plan.parameterCounts
        nextToLaunch = 0
        launched.removeAll(keepingCapacity: true)
        let comm = communicator, tally = tally
        tally.reset()
        thread.submit {
            let start = DispatchTime.now().uptimeNanoseconds
            var total = [Double(localSamples)]
            try comm.allreduce(&total, .sum)
            tally.globalSamples = Int(total[0].rounded())
            tally.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    public func gradientIsFinal(_ parameter: Parameter) {
        // An earlier micro-batch's backward (nothing to send yet), or an empty parameter (no bucket).
        guard passOpen, parameter.count > 0 else { return }
        let b = plan.bucket(of: parameter)
        remaining[b] -= 1
        precondition(remaining[b] >= 0, "\(parameter.name) reported final twice in one pass")
        launchReadyBuckets()
    }

    public func finish() throws -> ExchangeReport {
        precondition(passOpen, "finish without beginPass")
        for b in nextToLaunch..<remaining.count { remaining[b] = 0 }
        launchReadyBuckets()
        let start = DispatchTime.now().uptimeNanoseconds
        passOpen = false
        try thread.waitUntilIdle()
        let exposed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return ExchangeReport(globalSamples: tally.globalSamples, exposedSeconds: exposed,
                              communicationSeconds: tally.seconds, bytesSent: tally.bytesSent,
                              fullPrecisionBytes: plan.buckets.reduce(0) {
                                  $0 + FullPrecisionSum.bytes(count: $1.range.count, ranks: communicator.size) },
                              bucketOrder: launched)
    }

    private func launchReadyBuckets() {
        while nextToLaunch < remaining.count && remaining[nextToLaunch] == 0 {
            let bucket = plan.buckets[nextToLaunch]
            launched.append(bucket.index)
            nextToLaunch += 1
            let data = gradients + bucket.range.lowerBound, count = bucket.range.count
            let comm = communicator, tally = tally, bucketSum = bucketSum, owners = owners, range = bucket.range
            let scratch = received
            let place = BucketPlace(bucket: bucket.index, stream: stream, step: step)
            thread.submit { [store] in
                let start = DispatchTime.now().uptimeNanoseconds
                try withExtendedLifetime(store) {
                    // The elements this rank ends with, relative to the bucket.
                    var final = 0..<count
                    if let owners {
                        let parts = owners.map { $0.clamped(to: range) }, mine = parts[comm.rank]
                        let piece = UnsafeMutableRawBufferPointer(scratch.buffer(0, count: 4 * mine.count))
                            .bindMemory(to: Float.self)
                        try comm.reduceScatter(UnsafeBufferPointer(start: data, count: count), into: piece,
                                               counts: parts.map(\.count), .sum)
                        final = (mine.lowerBound - range.lowerBound)..<(mine.upperBound - range.lowerBound)
                        for (k, i) in final.enumerated() { data[i] = piece[k] }
                        tally.bytesSent += (count - mine.count) * 4
                    } else {
                        tally.bytesSent += try bucketSum.sum(UnsafeMutableBufferPointer(start: data, count: count), at: place,
                                                             over: comm)
                    }
                    let total = tally.globalSamples
                    if total > 0 {
                        let scale = 1 / Float(total)
                        for i in final { data[i] *= scale }
                    }
                }
                tally.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
        }
    }
}

/// Written by the communication thread, read after `waitUntilIdle` (which orders the accesses).
private final class ExchangeTally: @unchecked Sendable {
    var globalSamples = 0
    var seconds = 0.0
    var bytesSent = 0
    func reset() { globalSamples = 0; seconds = 0; bytesSent = 0 }
}
