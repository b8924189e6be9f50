import Foundation

/// A test-only fault: `QCS_TEST_KILL_DURING_SAVE=R` (or `R@S`) makes rank R kill itself with
/// SIGKILL in the middle of writing its shard (of the checkpoint of step S or any later one),
/// after part of the shard has reached the file. Fault tests use it to prove that a save cut
/// short leaves the previous checkpoint as the one a resume takes.
public struct SaveFaultInjection: Sendable {
    let rank: Int
    let fromStep: Int

    static let variable = "QCS_TEST_KILL_DURING_SAVE"

    /// The fault `QCS_TEST_KILL_DURING_SAVE` asks for, if any (the command line reads it; a save
    /// is handed the value, `ShardedCheckpoint.save(fault:)`).
    public static func fromEnvironment(_ environment: [String: String]) -> SaveFaultInjection? {
        guard let text = environment[variable] else { return nil }
        let parts = text.split(separator: "@").map { Int($0) }
        guard let rank = parts.first ?? nil else { return nil }
        return SaveFaultInjection(rank: rank, fromStep: parts.count > 1 ? (parts[1] ?? 0) : 0)
    }

    /// Called as rank `rank` writes checkpoint `step`, with the bytes of its shard so far.
    func strike(rank: Int, step: Int, bytesWritten: Int) {
        guard rank == self.rank, step >= fromStep, bytesWritten > 0 else { return }
        FileHandle.standardError.write(Data("rank \(rank): \(Self.variable): killed while writing its shard\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
