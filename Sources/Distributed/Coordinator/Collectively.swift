import Foundation

/// Makes one rank's failure every rank's. Setup work that may fail on some ranks only (rank 0's
/// run directory, a checkpoint shard only some ranks read) would otherwise leave the others in
/// the next collective until the job is aborted.
public enum Collectively {
    /// Runs `body` on every rank. If any rank throws, every rank throws the same
    /// `CoordinationError.setupFailed`: rank 0's message when rank 0 failed, else the failed
    /// ranks (each of which printed its own error, prefixed with its rank).
    public static func run<T>(_ comm: Communicator, _ body: () throws -> T) throws -> T {
        var result: T?, failure: Error?
        do { result = try body() } catch { failure = error }
        guard comm.size > 1 else {
            if let failure { throw failure }
            return result!
        }
        let failed = try comm.allgather([Int32(failure == nil ? 0 : 1)]).enumerated()
            .filter { $0.element[0] != 0 }.map(\.offset)
        guard !failed.isEmpty else { return result! }
        if let failure, !comm.isLeader { FileHandle.standardError.write(Data("rank \(comm.rank): \(failure)\n".utf8)) }
        let leaderMessage = try comm.allgather(Array((comm.isLeader ? failure.map { "\($0)" } ?? "" : "").utf8))[0]
        if failed.first == 0 { throw CoordinationError.setupFailed(String(decoding: leaderMessage, as: UTF8.self)) }
        throw CoordinationError.setupFailed("rank\(failed.count == 1 ? "" : "s") \(failed.map(String.init).joined(separator: ", ")) "
                                         + "could not start (see \(failed.count == 1 ? "its" : "their") message above)")
    }
}
