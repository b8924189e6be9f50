import Checkpoint
import Distributed
import Foundation
import QCS

/// The test-only faults of a run (scripts/test-ranks shows with them what the debugging tools
/// and the checkpoint's guarantees do): one value the run is given (`TrainingRun.Options.faults`,
/// `StepReplay.Options.faults`), read from the environment by the command line alone. Empty,
/// nothing happens. The trainer applies them in three places only: a feed's input, the step
/// decision, a shard being written.
public struct TestFaults: Sendable {
    /// `QCS_TEST_FAULT=KIND:RANK:STEP`.
    var step: TestFault?
    /// `QCS_TEST_KILL_DURING_SAVE=R[@S]`.
    var killDuringSave: SaveFaultInjection?

    public init() {}

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> TestFaults {
        var faults = TestFaults()
        faults.step = TestFault.fromEnvironment(environment)
        faults.killDuringSave = SaveFaultInjection.fromEnvironment(environment)
        return faults
    }
}

/// A fault the multi-process tests inject to show what the debugging tools report
/// (`QCS_TEST_FAULT=KIND:RANK:STEP`, set by scripts/test-ranks only).
///
/// - `extra_barrier`: rank RANK calls one barrier the others do not, before step STEP's decision:
///   the divergence `distributed.debug: check` must name instead of hanging.
/// - `sleep`: rank RANK sleeps `QCS_TEST_FAULT_SECONDS` (30) there: the straggler the stall
///   watchdog must name.
/// - `nan_input`: the first pixel of rank RANK's first anchor image in step STEP becomes NaN, in
///   training and in `qcs debug replay` alike: the bad input replay must trace to its first op.
struct TestFault: Sendable {
    enum Kind: String, Sendable {
        case extraBarrier = "extra_barrier"
        case sleep
        case nanInput = "nan_input"
    }

    let kind: Kind
    let rank: Int
    let step: Int
    let seconds: Double

    static func fromEnvironment(_ environment: [String: String]) -> TestFault? {
        guard let text = environment["QCS_TEST_FAULT"] else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 3, let kind = Kind(rawValue: String(parts[0])), let rank = Int(parts[1]),
              let step = Int(parts[2]) else {
            FileHandle.standardError.write(Data("warning: QCS_TEST_FAULT=\(text) is not KIND:RANK:STEP; ignored\n".utf8))
            return nil
        }
        return TestFault(kind: kind, rank: rank, step: step,
                         seconds: environment["QCS_TEST_FAULT_SECONDS"].flatMap(Double.init) ?? 30)
    }

    /// Called by every rank before each step's decision.
    func inject(step: Int, over comm: Communicator) throws {
        guard comm.rank == rank, step == self.step else { return }
        switch kind {
        case .extraBarrier: try comm.barrier()
        case .sleep: Thread.sleep(forTimeInterval: seconds)
        case .nanInput: break
        }
    }

    /// Called with each step's input before it is computed; true when it put a NaN in.
    @discardableResult
    func corrupt(_ batches: [QuadrupletBatch], rank: Int, step: Int) -> Bool {
        guard kind == .nanInput, rank == self.rank, step == self.step,
              let batch = batches.first(where: { !$0.labels.isEmpty }) else { return false }
        batch.anchor.data[0] = .nan
        return true
    }
}
