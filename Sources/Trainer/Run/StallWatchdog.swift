import Distributed
import Foundation

/// `distributed.stall_seconds`: a thread that notices when this rank's phase has not changed for
/// that long (one rank computing while the others wait for it in a collective, or every rank
/// waiting in a collective one of them never reaches), and then says where this rank is: in its
/// log and on its standard error, and in `RUN/logs/rank-RRRRR.state.json` (phase, step, the
/// collective it waits in, its last collectives from the `FlightRecorder`). Rank 0 then reads the
/// other ranks' state files and names the ranks that are behind: those not waiting in a
/// collective, or at an earlier step. With `stall_action: abort` the job then ends (exit 1).
final class StallWatchdog: @unchecked Sendable {
    struct Settings {
        var seconds: Double
        var abort: Bool
    }

    let settings: Settings
    let rank: Int, size: Int
    let activity: RankActivity
    let recorder: FlightRecorder?
    let log: RankLog
    let runDirectory: String
    private let abort: () -> Void
    private var reportedChanges = -1
    private var thread: Thread?
    private let stopped = NSCondition()
    private var stopping = false

    init(_ settings: Settings, rank: Int, size: Int, activity: RankActivity, recorder: FlightRecorder?, log: RankLog,
         runDirectory: String, abort: @escaping () -> Void) {
        self.settings = settings
        self.rank = rank
        self.size = size
        self.activity = activity
        self.recorder = recorder
        self.log = log
        self.runDirectory = runDirectory
        self.abort = abort
    }

    /// How long rank 0 waits for the other ranks' state files after its own report.
    static let patience = 3.0

    static func statePath(runDirectory: String, rank: Int) -> String {
        URL(fileURLWithPath: runDirectory).appendingPathComponent("logs")
            .appendingPathComponent(String(format: "rank-%05d.state.json", rank)).path
    }

    func start() {
        let thread = Thread { [self] in
            let interval = min(1, settings.seconds / 4)
            stopped.lock()
            while !stopping {
                _ = stopped.wait(until: Date(timeIntervalSinceNow: interval))
                if stopping { break }
                stopped.unlock()
                if look() {
                    if rank == 0 { nameTheRanksBehind(patience: Self.patience) }
                    if settings.abort {
                        // Rank 0 reads the others' state files before anyone ends the job.
                        if rank != 0 { Thread.sleep(forTimeInterval: Self.patience + 2) }
                        report("stall_action abort: ending the whole job")
                        abort()
                    }
                }
                stopped.lock()
            }
            stopped.unlock()
        }
        thread.name = "qcs stall watchdog"
        self.thread = thread
        thread.start()
    }

    func stop() {
        stopped.lock()
        stopping = true
        stopped.signal()
        stopped.unlock()
    }

    /// One look: when the phase has been the same for `seconds`, reports it (once per stall) and
    /// writes the state file. Whether it reported.
    @discardableResult
    func look(now: Date = Date()) -> Bool {
        let a = activity.snapshot
        let waited = now.timeIntervalSince(a.since)
        guard waited >= settings.seconds, a.changes != reportedChanges else { return false }
        reportedChanges = a.changes
        let state = RankState(rank: rank, step: a.step, phase: a.phase.rawValue, secondsInPhase: waited,
                              inFlight: (recorder?.inFlight ?? []).map { Self.describe($0, now: now) },
                              recent: (recorder?.snapshot().suffix(8) ?? []).map { Self.describe($0, now: now) },
                              time: now.timeIntervalSince1970)
        let waiting = state.inFlight.isEmpty ? "no collective in flight" : "waiting in " + state.inFlight.joined(separator: ", ")
        report(String(format: "stalled: step %d, phase %@ for %.0f s, %@", a.step, a.phase.rawValue, waited, waiting))
        if let recent = state.recent.last { log.warning("last collective: \(recent)") }
        do {
            let data = try JSONEncoder().encode(state)
            try data.write(to: URL(fileURLWithPath: Self.statePath(runDirectory: runDirectory, rank: rank)), options: .atomic)
        } catch {
            report("could not write its state file: \(error)")
        }
        return true
    }

    /// Rank 0, after its own report: reads every rank's state file (waiting a little for theirs)
    /// and says which ranks hold the others up.
    func nameTheRanksBehind(patience: Double) {
        let deadline = Date(timeIntervalSinceNow: patience)
        var states: [Int: RankState] = [:]
        repeat {
            for r in 0..<size where states[r] == nil {
                if let data = FileManager.default.contents(atPath: Self.statePath(runDirectory: runDirectory, rank: r)),
                   let state = try? JSONDecoder().decode(RankState.self, from: data),
                   Date().timeIntervalSince1970 - state.time < settings.seconds + patience + 5 {
                    states[r] = state
                }
            }
            if states.count == size { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        report(StallVerdict(states: states, size: size).text)
    }

    private func report(_ text: String) {
        log.warning(text)
        FileHandle.standardError.write(Data("rank \(rank): \(text)\n".utf8))
    }

    private static func describe(_ e: FlightRecorder.Entry, now: Date) -> String {
        let seconds = (e.finished ?? now).timeIntervalSince(e.started)
        return "\(e.communicator) \(e.call) " + (e.finished == nil ? String(format: "(waiting %.1f s)", seconds)
                                                                     : String(format: "(%.3f s)", seconds))
    }
}

/// What a stalled rank writes to its state file.
struct RankState: Codable, Equatable {
    var rank: Int
    var step: Int
    var phase: String
    var secondsInPhase: Double
    var inFlight: [String]
    var recent: [String]
    var time: Double
}

/// Which ranks hold a stalled job up, from the state files: those at the earliest step and, among
/// them, those not waiting in a collective (when some are).
struct StallVerdict {
    let states: [Int: RankState]
    let size: Int

    var behind: [Int] {
        guard let earliest = states.values.map(\.step).min() else { return [] }
        let atEarliest = states.values.filter { $0.step == earliest }
        let working = atEarliest.filter { $0.inFlight.isEmpty }
        let laggards = states.values.contains { $0.step > earliest } ? atEarliest : working
        return laggards.map(\.rank).sorted()
    }

    var text: String {
        let silent = (0..<size).filter { states[$0] == nil }
        var parts: [String] = []
        for r in behind {
            let s = states[r]!
            parts.append(String(format: "rank %d is behind: step %d, phase %@ for %.0f s, %@", r, s.step, s.phase,
                                s.secondsInPhase, s.inFlight.isEmpty ? "not in a collective" : "in " + s.inFlight[0]))
        }
        let waiting = states.values.filter { !behind.contains($0.rank) }.map(\.rank).sorted()
        if let first = waiting.first, let call = states[first]?.inFlight.first {
            parts.append("rank\(waiting.count == 1 ? "" : "s") \(CommunicationError.ranges(waiting)) wait in \(call)")
        }
        if !silent.isEmpty {
            parts.append("rank\(silent.count == 1 ? "" : "s") \(CommunicationError.ranges(silent)) wrote no state "
                         + "(still progressing, or gone)")
        }
        if parts.isEmpty { parts.append("no rank wrote its state") }
        return "stall report: " + parts.joined(separator: "; ") + "; each rank's RUN/logs/rank-RRRRR.state.json has its last collectives"
    }
}
