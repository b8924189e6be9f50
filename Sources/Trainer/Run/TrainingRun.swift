import Autograd
import Checkpoint
import DataPipeline
import Distributed
import Foundation
import Reports
import Optim
import QCS

/// One training job over every rank of `communicator` (a world of one by default): each rank
/// holds the whole model and computes its slice of every global batch; rank 0 also plans the
/// epochs and speaks for the run (status, metrics, weights).
///
/// Per step: this rank's micro-batches → `SAMTrainingStep.computeGradients` (both SAM passes,
/// gradients exchanged as backward runs) → one `StepDecision` gathered from every rank (stop,
/// checkpoint, failures, non-finite values, figures) → update or drop → rank 0 reports → act on
/// the decision. Every rank takes the same branch at the same step.
public final class TrainingRun {
    public struct Options {
        public var runDirectory: String
        /// Weights to start from (official names), and whether all of them or only `ir_back.*`.
        public var initialWeights: String?
        public var initialScope: OfficialWeights.Scope = .wholeModel
        /// Train from initial weights that fill less than `partialLoadThreshold` of the tensors
        /// in scope (another architecture's file is refused without it).
        public var allowPartialInitialWeights = false
        public static let partialLoadThreshold = 0.9
        /// Log a progress line every this many steps.
        public var logEvery = 10
        /// End the run after this many optimiser steps (nil: run every epoch).
        public var maxSteps: Int?
        /// Continue from a checkpoint: the newest complete one in the run directory, or this one.
        public var resume: Resume?
        /// Serve Prometheus metrics from rank 0 on this port (0: any free one), at `metricsHost`.
        public var metricsPort: Int?
        public var metricsHost = "127.0.0.1"
        /// What each rank writes to its own log, `RUN/logs/rank-RRRRR.log` (debug: also a line per
        /// step with its local losses in full precision).
        public var logLevel = RunMessage.Level.info
        /// Test-only faults (none unless a test asks: `TestFaults.fromEnvironment()` in the CLI).
        public var faults = TestFaults()
        /// The engine's switches (the CLI reads them from the environment: `EngineOptions`).
        public var engine = EngineOptions()
        /// This rank's host name (nil: the machine's); in-process tests give their ranks different ones.
        public var hostName: String?
        /// Seconds this process may take to let go of the run once it has reported how it ended,
        /// before it exits anyway (`TeardownDeadline`; nil: no deadline, as for a library caller).
        public var teardownDeadline: TimeInterval?
        public init(runDirectory: String) { self.runDirectory = runDirectory }
    }

    public enum Resume: Equatable, Sendable {
        case auto
        case directory(String)
    }

    public enum Outcome: Equatable {
        case finished
        /// Stopped by a signal after exporting weights.
        case stopped(signal: Int32)
    }

    public let config: TrainingConfig
    public let options: Options
    public let communicator: Communicator
    let messages: (RunMessage) -> Void
    /// This rank's own log; rank 0's also holds every kept line it says.
    let rankLog: RankLog
    /// This rank's last collectives, for stall reports (several ranks only).
    let recorder = FlightRecorder()

    /// - Parameter sink: rank 0's account of the run, every level (other ranks never call it).
    public convenience init(config: TrainingConfig, options: Options, communicator: Communicator = LocalCommunicator(),
                            sink: RunMessageSink) {
        self.init(config: config, options: options, communicator: communicator, show: { sink.show($0) })
    }

    /// - Parameter log: rank 0's kept lines up to `info` (other ranks never call it).
    public convenience init(config: TrainingConfig, options: Options, communicator: Communicator = LocalCommunicator(),
                            log: @escaping (String) -> Void) {
        self.init(config: config, options: options, communicator: communicator) { message in
            if message.kept && message.level <= .info { log(message.text) }
        }
    }

    /// Every message goes to `show` and, when kept, to this rank's own log.
    private init(config: TrainingConfig, options: Options, communicator: Communicator,
                 show: @escaping (RunMessage) -> Void) {
        self.config = config
        self.options = options
        let rankLog = RankLog(rank: communicator.rank, level: options.logLevel)
        self.rankLog = rankLog
        self.communicator = Self.checking(communicator, config.distributed, recorder: recorder, log: rankLog)
        messages = { message in
            show(message)
            if message.kept { rankLog.write(message.level, message.text) }
        }
    }

    /// Trains; throws `RunError.ranksFailed`/`.nonFinite`… (`isCollective`) and `CoordinationError`
    /// on every rank alike, anything else on the rank that met it.
    @discardableResult
    public func run() throws -> Outcome {
        let s: TrainingSession
        do {
            s = try TrainingSession(config: config, options: options, communicator: communicator, messages: messages,
                                    rankLog: rankLog, recorder: recorder)
        } catch {
            rankLog.error("\(error)")
            throw error
        }
        var state = try s.resumedState(options.resume)
        if let done = finishedAlready(state) {
            s.reporter?.log(done)
            return .finished
        }
        try s.reporter?.forgetSteps(after: state.globalStep)
        s.watchdog?.start()
        defer { s.watchdog?.stop() }
        do {
            let outcome = try train(s, &state)
            armTeardownDeadline(status: 0)
            return outcome
        } catch {
            rankLog.error("\(error)")
            // Every rank met a collective failure alike, so the save in flight can still be agreed on.
            if RunError.isCollective(error) { try? s.finishSaves() }
            // status.json tells the truth, whoever met the error (best effort: the error may be the run
            // directory itself).
            try? s.reporter?.status("failed", state, message: "\(error)")
            armTeardownDeadline(status: 1)
            throw error
        }
    }

    /// The loop of `run`.
    private func train(_ s: TrainingSession, _ state: inout TrainingState) throws -> Outcome {
        var started = false
        while state.epoch < config.run.epochs {
            let feed = try s.feed(state)
            let stepsInEpoch = feed.stepsLeft + state.batchInEpoch / config.optim.gradientAccumulation
            if !started {
                let total = stepsInEpoch * config.run.epochs
                s.reporter?.begin(totalSteps: min(options.maxSteps ?? .max, total), done: state.globalStep)
                started = true
            }
            // Messages, logs and stall reports number a step from 1, as metrics and checkpoints do.
            s.activity.enter(.data, step: state.globalStep + 1)
            while let input = feed.next() {
                let number = state.globalStep + 1
                s.activity.enter(.compute, step: number)
                if let error = input.error { s.speak("could not load its slice: \(error)") }
                let lr = s.schedule.rate(epoch: state.epoch, step: state.globalStep)
                let local = try s.step.computeGradients(input.batches, globalBatches: input.globalBatches,
                                                       dropoutKey: s.dropoutKey(state), step: state.globalStep)
                s.logStep(local, step: number)
                s.activity.enter(.decision, step: number)
                let decision = try s.decide(report(local, input, &s.signals), step: number)
                let verdict = Verdict(decision, local: local, policy: config.run.onNonFinite)
                if verdict == .apply { try s.applyUpdate(learningRate: lr, local, step: number) } else { s.step.discard() }
                state.advance(batches: input.globalBatches, skipped: verdict != .apply)
                state.epochTally.add(decision, applied: verdict == .apply)
                s.speeds.record(decision)
                let checked = try ReplicaCheck(every: config.distributed.checkReplicasEvery)
                    .run(s.store, step: state.globalStep, over: communicator)
                try s.reporter?.step(decision, mine: local, state: state, learningRate: lr, stepsInEpoch: stepsInEpoch,
                                     stepInEpoch: stepsInEpoch - feed.stepsLeft, applied: verdict == .apply,
                                     replicasChecked: checked)
                s.observeSaves()
                if let outcome = try act(on: decision, verdict, local, state, s, epochEnds: feed.stepsLeft == 0) { return outcome }
                s.activity.enter(.data, step: state.globalStep + 1)
            }
            s.activity.enter(.evaluation, step: state.globalStep)
            let test = try evaluateIfDue(state.epoch, s)
            s.reportSkippedImages()
            if let test {
                state.bestTestAccuracy = max(state.bestTestAccuracy ?? 0, test.accuracy)
                state.lastTestAccuracy = test.accuracy
            }
            try s.reporter?.epoch(state, test: test, classNames: s.classNames)
            if let line = s.wireZstdGain { s.reporter?.log(line) }
            try s.reporter?.export(s.store, epoch: state.epoch, epochFile: true, reason: nil)
            state.startNextEpoch()
            try s.saveCheckpoint(state, reason: nil, evaluated: test?.accuracy)
        }
        try requireLearning(state)
        try s.finishSaves()
        s.checkpoint.removeMemorySnapshots()
        try s.reporter?.status("finished", state)
        s.reporter?.log("finished: \(state.globalStep) steps; weights in \(s.reporter?.latestWeights ?? "")")
        return .finished
    }

    /// What this rank tells the others about its step.
    private func report(_ local: SAMTrainingStep.LocalResult, _ input: StepFeed.Input,
                        _ signals: inout SignalRequests) -> RankReport {
        var r = RankReport()
        r.stopSignal = signals.stopRequest ?? 0
        r.checkpointRequested = signals.takeCheckpointRequest()
        r.failed = input.error != nil
        r.nonFinite = !local.lossIsFinite || !local.gradientIsFinite
        r.lossNonFinite = !local.lossIsFinite
        r.samples = local.samples
        r.computeSeconds = local.computeSeconds
        r.exchangeSeconds = local.exchangeSeconds
        r.dataSeconds = input.dataSeconds
        r.bytesSent = local.bytesSent
        r.figures = local.figures
        return r
    }

    /// The step boundary: failures end the run on every rank, then stop and checkpoint requests,
    /// then `--max-steps`. nil: go on.
    /// `epochEnds`: the epoch's checkpoint follows, so no memory snapshot is taken.
    private func act(on decision: StepDecision, _ verdict: Verdict, _ local: SAMTrainingStep.LocalResult,
                     _ state: TrainingState, _ s: TrainingSession, epochEnds: Bool) throws -> Outcome? {
        let reporter = s.reporter
        switch verdict {
        case .fail:
            let error = RunError.ranksFailed(ranks: decision.failedRanks, step: state.globalStep)
            try reporter?.export(s.store, epoch: state.epoch, epochFile: false, reason: "failed run")
            try reporter?.status("failed", state, message: error.description)
            throw error
        case .stopNonFinite:
            let error = RunError.nonFinite(step: state.globalStep, ranks: decision.nonFiniteRanks,
                                           lossRanks: decision.nonFiniteLossRanks, checkpoint: s.checkpoint.latestName)
            try reporter?.export(s.store, epoch: state.epoch, epochFile: false, reason: "failed run")
            try reporter?.status("failed", state, message: error.description)
            throw error
        case .skip:
            reporter?.warn(decision.samples == 0
                          ? "step \(state.globalStep): no quadruplets on any rank (all dropped); skipped"
                          : "step \(state.globalStep): " + RunError.nonFiniteSource(ranks: decision.nonFiniteRanks,
                                                                                    lossRanks: decision.nonFiniteLossRanks)
                            + "; "
                            + "step skipped on every rank (\(state.skippedSteps) so far)")
        case .apply:
            break
        }
        if let signal = decision.stopSignal {
            try s.saveCheckpoint(state, reason: signalName(signal), wait: true)
            try reporter?.export(s.store, epoch: state.epoch, epochFile: false, reason: signalName(signal))
            try reporter?.status("stopped", state)
            reporter?.log("stopped by \(signalName(signal)) after step \(state.globalStep); weights in "
                          + (reporter?.latestWeights ?? ""))
            return .stopped(signal: signal)
        }
        if decision.checkpointRequested {
            try s.saveCheckpoint(state, reason: "SIGUSR1")
            try reporter?.export(s.store, epoch: state.epoch, epochFile: false, reason: "SIGUSR1")
        } else if config.checkpoint.every > 0, state.globalStep % config.checkpoint.every == 0 {
            try s.saveCheckpoint(state, reason: nil)
        } else if config.checkpoint.memoryEvery > 0, state.globalStep % config.checkpoint.memoryEvery == 0, !epochEnds,
                  state.globalStep != options.maxSteps {
            try s.saveMemorySnapshot(state)
        }
        if let maxSteps = options.maxSteps, state.globalStep >= maxSteps {
            try requireLearning(state)
            try s.saveCheckpoint(state, reason: nil, wait: true)
            s.checkpoint.removeMemorySnapshots()
            try reporter?.export(s.store, epoch: state.epoch, epochFile: false, reason: nil)
            try reporter?.status("finished", state)
            reporter?.log("finished: --max-steps \(maxSteps) reached; weights in \(reporter?.latestWeights ?? "")")
            return .finished
        }
        return nil
    }

    private func armTeardownDeadline(status: Int32) {
        if let seconds = options.teardownDeadline {
            TeardownDeadline.arm(rank: communicator.rank, status: status, seconds: seconds)
        }
    }

    /// Why a run resumed at `state` has nothing left to do, or nil: started again, a finished
    /// command changes nothing (no step, no checkpoint, no export).
    private func finishedAlready(_ state: TrainingState) -> String? {
        if state.epoch >= config.run.epochs {
            return "already finished: all \(config.run.epochs) epochs done, at step \(state.globalStep); nothing to do "
                + "(raise train.epochs or --epochs to train on)"
        }
        if let maxSteps = options.maxSteps, state.globalStep >= maxSteps {
            return "already at step \(state.globalStep) of --max-steps \(maxSteps); nothing to do (a larger --max-steps trains on)"
        }
        return nil
    }

    /// A run that ends having applied no step learnt nothing, whatever its policy let it skip.
    private func requireLearning(_ state: TrainingState) throws {
        if state.globalStep > 0 && state.skippedSteps == state.globalStep { throw RunError.noStepApplied(steps: state.globalStep) }
    }

    private func evaluateIfDue(_ epoch: Int, _ s: TrainingSession) throws -> ClassificationMetrics? {
        let every = config.run.evalEvery
        guard every > 0, (epoch + 1) % every == 0 || epoch + 1 == config.run.epochs, !s.test.isEmpty else { return nil }
        return try s.evaluate()
    }

    /// A rank's message about itself, on standard error, prefixed with its rank.
    /// `communicator`, behind a `CheckedCommunicator` when there are other ranks and `distributed.debug`
    /// asks for checks or the stall watchdog for a flight recorder.
    static func checking(_ communicator: Communicator, _ d: DistributedConfig, recorder: FlightRecorder,
                         log: RankLog) -> Communicator {
        guard communicator.size > 1, d.debug != .off || d.stallSeconds > 0 else { return communicator }
        return CheckedCommunicator(communicator, verifies: d.debug != .off, logsEachCall: d.debug == .detail,
                                   recorder: d.stallSeconds > 0 ? recorder : nil) { log.info($0) }
    }

    static func speak(_ comm: Communicator, _ message: String) {
        FileHandle.standardError.write(Data("rank \(comm.rank): \(message)\n".utf8))
    }

    static func makeOptimizer(_ o: OptimConfig, count: Int) -> Optimizer {
        switch o.kind {
        case .adam, .adamw:
            return Adam(count: count, configuration: .init(beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon,
                                                           weightDecay: o.weightDecay,
                                                           decoupledWeightDecay: o.kind == .adamw))
        case .sgd:
            return SGD(count: count, configuration: .init(momentum: o.momentum, weightDecay: o.weightDecay))
        }
    }
}


/// What a step's decision means for the update (the same on every rank).
enum Verdict: Equatable {
    case apply, skip, fail, stopNonFinite

    init(_ d: StepDecision, local: SAMTrainingStep.LocalResult, policy: RunConfig.NonFinitePolicy) {
        if !d.failedRanks.isEmpty { self = .fail }
        else if !d.nonFiniteRanks.isEmpty { self = policy == .stop ? .stopNonFinite : .skip }
        else if d.samples == 0 || local.globalSamples == 0 { self = .skip }
        else { self = .apply }
    }
}
