import Autograd
import Checkpoint
import Distributed
import Foundation

/// Rank 0's voice: progress lines, metrics.jsonl, status.json and exported weights. The other
/// ranks have none; they speak only about themselves (`rank R: …`).
final class RunReporter {
    let config: TrainingConfig
    let options: TrainingRun.Options
    let run: RunDirectory
    let log: (String) -> Void
    var meter: ProgressMeter

    init(config: TrainingConfig, options: TrainingRun.Options, log: @escaping (String) -> Void) throws {
        self.config = config
        self.options = options
        self.log = log
        run = try RunDirectory(path: options.runDirectory)
        meter = ProgressMeter(total: 1)
        // A directory that holds a run is continued (--resume) or left alone, never overwritten.
        if options.resume == nil, let previous = run.previousRunState {
            throw RunError.runDirectoryHoldsARun(path: options.runDirectory, state: previous)
        }
    }

    /// Starts the progress meter for a run of `totalSteps`.
    func begin(totalSteps: Int, done: Int) {
        meter = ProgressMeter(total: totalSteps)
        meter.record(done: done)
    }

    /// The figures of one step as every rank decided them (sums over ranks), written as a
    /// metrics record, a status update and, every `logEvery` steps, a line.
    func step(_ decision: StepDecision, mine: SAMTrainingStep.LocalResult, state: TrainingState, learningRate lr: Float,
              stepsInEpoch: Int, stepInEpoch: Int, applied: Bool, replicasChecked: Bool) throws {
        let s = decision.sums, n = Double(max(decision.samples, 1))
        let loss = s[0] / n, baseLoss = s[1] / n, crossLoss = s[2] / n
        let baseAccuracy = s[3] / (4 * n), crossAccuracy = s[4] / (4 * n)
        meter.record(done: state.globalStep)
        let me = decision.reports[0]
        var record: [String: Any] = [
            "kind": "step", "epoch": state.epoch + 1, "step": state.globalStep, "loss": loss, "base_loss": baseLoss,
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
        if state.globalStep % options.logEvery == 0 || stepInEpoch == stepsInEpoch {
            let rate = meter.rate.map { String(format: "%.2f steps/s", $0) } ?? "—"
            let eta = meter.remaining.map(ProgressMeter.duration) ?? "—"
            let wire = decision.reports.count > 1
                ? String(format: "  wire %@/step (%.2fx < fp32)", ProgressMeter.bytes(me.bytesSent), mine.wireReduction) : ""
            log(String(format: "epoch %d/%d step %d/%d  loss %.4f  base acc %.3f  cross acc %.3f  lr %.2e%@  %@  ETA %@",
                       state.epoch + 1, config.run.epochs, stepInEpoch, stepsInEpoch, loss, baseAccuracy, crossAccuracy,
                       lr, wire, rate, eta))
        }
        try status("training", state, loss: loss)
    }

    func epoch(_ state: TrainingState, meanLoss: Double, trainAccuracy: Double, test: ClassificationMetrics?) throws {
        var record: [String: Any] = ["kind": "epoch", "epoch": state.epoch + 1, "step": state.globalStep, "loss": meanLoss,
                                     "train_base_accuracy": trainAccuracy]
        if let test {
            record["test_accuracy"] = test.accuracy
            record["test_mean_class_accuracy"] = test.meanClassAccuracy
            log(String(format: "epoch %d/%d: train loss %.4f, test accuracy %.4f (mean class %.4f)",
                       state.epoch + 1, config.run.epochs, meanLoss, test.accuracy, test.meanClassAccuracy))
        }
        run.appendMetrics(record)
    }

    func status(_ state: String, _ t: TrainingState, loss: Double? = nil, message: String? = nil) throws {
        var status: [String: Any] = ["state": state, "epoch": min(t.epoch, config.run.epochs - 1) + 1, "epochs": config.run.epochs,
                                     "step": t.globalStep, "config": config.source,
                                     "updated": ISO8601DateFormatter().string(from: Date())]
        if let loss { status["loss"] = loss }
        if let best = t.bestTestAccuracy { status["best_test_accuracy"] = best }
        if t.skippedSteps > 0 { status["skipped_steps"] = t.skippedSteps }
        if let message { status["message"] = message }
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
