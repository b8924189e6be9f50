import Autograd
import Checkpoint
import Distributed
import Foundation
import Reports

/// Rank 0's voice: progress lines, metrics.jsonl, status.json and exported weights. The other
/// ranks have none; they speak only about themselves (`rank R: …`).
final class RunReporter {
    let config: TrainingConfig
    let options: TrainingRun.Options
    let run: RunDirectory
    let messages: (RunMessage) -> Void
    var meter: ProgressMeter
    var health = RankHealth()
    /// Quadruplets per second over all ranks, recent.
    var samplesPerSecond: Double? { sampleMeter.rate }
    /// Quadruplets done over all ranks since this process started (a short last batch counts what it holds).
    private var sampleMeter = ProgressMeter(total: 0)
    private var samplesDone = 0
    var lastCheckpoint: (directory: String, step: Int, written: Date)?
    /// The step this job started from (0: the start), in status.json for `qcs launch`'s count of steps redone.
    var resumedFrom = 0
    /// Where this job's node-local checkpoints are (`qcs checkpoint list` reads it from status.json).
    var nodeCheckpoints: NodeCheckpointRecord?
    let started = Date()
    /// One formatter for every timestamp of status.json (rewritten after each step).
    private let clock = ISO8601DateFormatter()
    let board = MetricsBoard()
    let metricsServer: MetricsServer?
    private var bytesSentTotal = 0.0
    /// TensorBoard scalars in RUN/tensorboard/, its file made with the first step (a start that has
    /// nothing to do leaves none); nil when the folder cannot be written (warned once).
    private(set) lazy var events: TensorBoardEvents? = {
        do {
            return try TensorBoardEvents(directory: run.url.appendingPathComponent("tensorboard").path)
        } catch {
            warn("no TensorBoard events: \(error)")
            return nil
        }
    }()

    init(config: TrainingConfig, options: TrainingRun.Options, messages: @escaping (RunMessage) -> Void) throws {
        self.config = config
        self.options = options
        self.messages = messages
        // A resume may start as the previous job's last rank exits: its lock is waited for, briefly.
        run = try RunDirectory(path: options.runDirectory, lockWait: options.resume == nil ? 0 : 30) {
            messages(RunMessage(.info, $0))
        }
        meter = ProgressMeter(total: 1)
        // A directory that holds a run is continued (--resume) or left alone, never overwritten: refused
        // before a port is bound or an event file is made in it.
        if options.resume == nil, let previous = run.previousRunState {
            throw RunError.runDirectoryHoldsARun(path: options.runDirectory, state: previous)
        }
        board.age("qcs_checkpoint_age_seconds", help: "Seconds since the newest checkpoint was written.",
                  of: "qcs_last_checkpoint_timestamp_seconds")
        board.age("qcs_seconds_since_last_step", help: "Seconds since the last step ended (a hang grows it).",
                  of: "qcs_last_step_timestamp_seconds")
        let board = self.board
        metricsServer = try options.metricsPort.map { try MetricsServer(host: options.metricsHost, port: $0, board: board) }
        if let m = metricsServer { log("metrics: http://\(m.host):\(m.port)/metrics (Prometheus text format)") }
    }

    func checkpointWritten(_ directory: String, step: Int) {
        lastCheckpoint = (directory, step, Date())
        board.set("qcs_last_checkpoint_step", Double(step), help: "Global step of the newest checkpoint this run wrote.")
        board.set("qcs_last_checkpoint_timestamp_seconds", Date().timeIntervalSince1970,
                  help: "Unix time the newest checkpoint was written.")
    }

    /// The step's figures on the metrics board (what --metrics-port serves).
    private func publish(_ state: TrainingState, loss: Double, baseAccuracy: Double, crossAccuracy: Double,
                         learningRate: Float, wireReduction: Double?, ranks: Int) {
        let b = board
        b.set("qcs_step", Double(state.globalStep), help: "Optimiser steps taken (global, over all ranks).")
        b.set("qcs_total_steps", Double(meter.total), help: "Optimiser steps this run will take.")
        b.set("qcs_epoch", Double(state.epoch + 1), help: "Current epoch, from 1.")
        b.set("qcs_loss", loss, help: "Training loss of the last step (mean of the eight cross-entropy terms).")
        b.set("qcs_base_accuracy", baseAccuracy, help: "Training accuracy of the base logits, last step.")
        b.set("qcs_cross_accuracy", crossAccuracy, help: "Training accuracy of the cross logits, last step.")
        b.set("qcs_learning_rate", Double(learningRate), help: "Learning rate of the last step.")
        if let rate = meter.rate { b.set("qcs_steps_per_second", rate, help: "Optimiser steps per second, recent.") }
        if let q = samplesPerSecond { b.set("qcs_quadruplets_per_second", q, help: "Quadruplets per second over all ranks, recent.") }
        b.set("qcs_bytes_sent_total", bytesSentTotal, help: "Gradient bytes rank 0 sent since this process started.",
              kind: .counter)
        if let wireReduction {
            b.set("qcs_compression_ratio", wireReduction, help: "Float32 gradient bytes over the bytes sent, last step.")
        }
        b.set("qcs_ranks", Double(ranks), help: "Ranks in the job.")
        b.set("qcs_skipped_steps_total", Double(state.skippedSteps), help: "Steps dropped for non-finite values.",
              kind: .counter)
        b.set("qcs_last_step_timestamp_seconds", Date().timeIntervalSince1970, help: "Unix time the last step ended.")
        for (rank, t) in health.means.enumerated() {
            b.set("qcs_rank_step_seconds", t.step, help: "Seconds per step of each rank, recent mean.", labels: "rank=\"\(rank)\"")
        }
    }

    /// The run goes on from `step`: what metrics.jsonl says of later steps (an attempt that ended
    /// before its next checkpoint) goes, since those steps are done again.
    func forgetSteps(after step: Int) throws {
        resumedFrom = step
        let dropped = try run.dropMetrics(after: step)
        if dropped > 0 {
            log("resume: dropped \(dropped) record\(dropped == 1 ? "" : "s") of steps after \(step) from metrics.jsonl "
                + "(those steps are done again)")
        }
    }

    func log(_ text: String) { messages(RunMessage(.info, text)) }
    func warn(_ text: String) { messages(RunMessage(.warning, "warning: " + text)) }

    /// Starts the progress meter for a run of `totalSteps`.
    func begin(totalSteps: Int, done: Int) {
        meter = ProgressMeter(total: totalSteps)
        meter.record(done: done)
        sampleMeter.record(done: samplesDone)
    }

    /// The figures of one step as every rank decided them (sums over ranks), written as a
    /// metrics record, a status update and, every `logEvery` steps, a line.
    func step(_ decision: StepDecision, mine: SAMTrainingStep.LocalResult, state: TrainingState, learningRate lr: Float,
              stepsInEpoch: Int, stepInEpoch: Int, applied: Bool, replicasChecked: Bool) throws {
        let (loss, baseLoss, crossLoss, baseAccuracy, crossAccuracy) = decision.figures.means(samples: decision.samples)
        meter.record(done: state.globalStep)
        samplesDone += decision.samples
        sampleMeter.record(done: samplesDone)
        let me = decision.reports[0]
        var record: [String: Any] = [
            "kind": "step", "epoch": state.epoch + 1, "step": state.globalStep, "time": Date().timeIntervalSince1970,
            "loss": loss, "base_loss": baseLoss,
            "cross_loss": crossLoss, "base_accuracy": baseAccuracy, "cross_accuracy": crossAccuracy,
            "grad_norm": mine.gradientNorm, "lr": Double(lr), "samples": decision.samples,
            "compute_s": me.computeSeconds, "exchange_s": me.exchangeSeconds, "data_wait_s": me.dataSeconds,
            "bytes_sent": me.bytesSent]
        if decision.reports.count > 1 {
            record["bytes_vs_fp32"] = mine.wireReduction
            let slowest = decision.slowest
            record["slowest_rank"] = slowest.rank
            record["slowest_compute_s"] = slowest.seconds
        }
        if !applied { record["skipped"] = true }
        if replicasChecked { record["replicas_identical"] = true }
        run.appendMetrics(record)
        let line = ProgressFigures(
            epoch: state.epoch + 1, epochs: config.run.epochs, stepInEpoch: stepInEpoch, stepsInEpoch: stepsInEpoch,
            step: state.globalStep, totalSteps: meter.total, loss: loss, baseLoss: baseLoss, crossLoss: crossLoss,
            baseAccuracy: baseAccuracy, crossAccuracy: crossAccuracy, learningRate: lr,
            samplesPerSecond: samplesPerSecond, remaining: meter.remaining,
            exchangeShare: me.exchangeSeconds / max(me.computeSeconds + me.exchangeSeconds + me.dataSeconds, 1e-9),
            wire: decision.reports.count > 1 ? (me.bytesSent, mine.wireReduction) : nil).line
        let logged = state.globalStep % options.logEvery == 0 || stepInEpoch == stepsInEpoch
        messages(RunMessage(logged ? .info : .debug, line, kept: logged))
        bytesSentTotal += Double(me.bytesSent)
        var scalars: [(tag: String, value: Double)] = [
            ("train/loss", loss), ("train/base_loss", baseLoss), ("train/cross_loss", crossLoss),
            ("train/base_accuracy", baseAccuracy), ("train/cross_accuracy", crossAccuracy),
            ("train/learning_rate", Double(lr)), ("exchange/bytes_sent", Double(me.bytesSent)),
        ]
        if let q = samplesPerSecond { scalars.append(("speed/quadruplets_per_second", q)) }
        events?.add(step: state.globalStep, scalars: scalars)
        publish(state, loss: loss, baseAccuracy: baseAccuracy, crossAccuracy: crossAccuracy, learningRate: lr,
                wireReduction: decision.reports.count > 1 ? mine.wireReduction : nil, ranks: decision.reports.count)
        for message in health.record(decision.reports, step: state.globalStep) { messages(message) }
        try status("training", state, loss: loss)
    }

    func epoch(_ state: TrainingState, test: ClassificationMetrics?, classNames: [String]) throws {
        let tally = state.epochTally, meanLoss = tally.meanLoss
        var record: [String: Any] = ["kind": "epoch", "epoch": state.epoch + 1, "step": state.globalStep, "loss": meanLoss,
                                     "train_base_accuracy": tally.baseAccuracy, "loss_steps": tally.steps - tally.skipped]
        if tally.partial { record["loss_partial"] = true }
        events?.add(step: state.globalStep, scalars: [("train/epoch_loss", meanLoss)]
                    + (test.map { [("test/accuracy", $0.accuracy), ("test/mean_class_accuracy", $0.meanClassAccuracy)] } ?? []))
        if let test {
            board.set("qcs_test_accuracy", test.accuracy, help: "Test accuracy of the newest evaluation.")
            board.set("qcs_best_test_accuracy", max(state.bestTestAccuracy ?? 0, test.accuracy),
                      help: "Best test accuracy of this run.")
            record["test_accuracy"] = test.accuracy
            record["test_mean_class_accuracy"] = test.meanClassAccuracy
        }
        log(String(format: "epoch %d/%d: train loss %.4f", state.epoch + 1, config.run.epochs, meanLoss) + tally.coverage
            + (test.map { String(format: ", test accuracy %.4f (mean class %.4f)", $0.accuracy, $0.meanClassAccuracy) } ?? ""))
        run.appendMetrics(record)
        if let test {
            // A picture that cannot be drawn is worth a warning, not the run.
            do {
                try TrainingPlots(directory: run.plotsURL)
                    .refresh(metrics: run.metricsURL, confusion: test.confusion, classNames: classNames)
            } catch {
                warn("could not redraw the plots in \(run.plotsURL.path): \(error)")
            }
        }
    }

    func status(_ state: String, _ t: TrainingState, loss: Double? = nil, message: String? = nil) throws {
        var status: [String: Any] = ["state": state, "epoch": min(t.epoch, config.run.epochs - 1) + 1, "epochs": config.run.epochs,
                                     "step": t.globalStep, "config": config.source,
                                     "updated": clock.string(from: Date())]
        if let loss { status["loss"] = loss }
        if let best = t.bestTestAccuracy { status["best_test_accuracy"] = best }
        if t.skippedSteps > 0 { status["skipped_steps"] = t.skippedSteps }
        if let message { status["message"] = message }
        status["started"] = clock.string(from: started)
        status["total_steps"] = meter.total
        if state == "training" {
            if let rate = meter.rate { status["steps_per_second"] = rate }
            if let remaining = meter.remaining { status["eta_seconds"] = remaining }
            if let samplesPerSecond { status["quadruplets_per_second"] = samplesPerSecond }
        }
        status["resumed_from_step"] = resumedFrom
        if let n = nodeCheckpoints { status[NodeCheckpointRecord.key] = n.json }
        if let c = lastCheckpoint {
            status["last_checkpoint"] = ["directory": c.directory, "step": c.step,
                                         "written": clock.string(from: c.written)]
        }
        let ranks = health.means
        if !ranks.isEmpty {
            status["ranks"] = ranks.enumerated().map { rank, t in
                ["rank": rank, "step_s": t.step, "compute_s": t.compute, "exchange_s": t.exchange, "data_s": t.data]
            }
        }
        if let slow = health.slowRank { status["slow_rank"] = slow }
        try run.writeStatus(status)
    }

    /// Exports the weights of `epoch` and points `latest` at them (each file written atomically);
    /// with `epochFile: false` only `latest` (a stop or request in the middle of an epoch).
    func export(_ store: ParameterStore, epoch: Int, epochFile: Bool, reason: String?) throws {
        if epochFile {
            // Serialised once; `latest` becomes a copy of the epoch's file.
            try OfficialWeights.export(store, config: config.model, to: run.epochWeights(epoch).path)
            try run.pointLatest(at: run.epochWeights(epoch))
        } else {
            try OfficialWeights.export(store, config: config.model, to: run.latestWeights.path)
        }
        if let reason { log("exported weights (\(reason)) to \(run.latestWeights.path)") }
    }

    var latestWeights: String { run.latestWeights.path }
}
