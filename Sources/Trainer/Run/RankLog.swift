import Foundation

/// One rank's own log, `RUN/logs/rank-RRRRR.log`: every line this rank says or is told about
/// itself, at every level up to `level`, each with its time. The console stays rank 0's; these
/// files are where a multi-process run is read afterwards, one rank beside another.
///
/// Lines said before the run directory is known to be this run's (rank 0 locks it first) wait
/// in memory and are written when `open` is called. Thread-safe: the watchdog and the exchange
/// thread write here too.
public final class RankLog: @unchecked Sendable {
    public let rank: Int
    public let level: RunMessage.Level
    private var file: FileHandle?
    private var pending: [String] = []
    private let lock = NSLock()
    private let clock: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
    public private(set) var path: String?

    public init(rank: Int, level: RunMessage.Level = .info) {
        self.rank = rank
        self.level = level
    }

    /// The file of `rank` under `runDirectory`.
    public static func path(runDirectory: String, rank: Int) -> String {
        URL(fileURLWithPath: runDirectory).appendingPathComponent("logs")
            .appendingPathComponent(String(format: "rank-%05d.log", rank)).path
    }

    /// Starts writing to `RUN/logs/rank-RRRRR.log` (appending: a resumed run continues its logs).
    public func open(runDirectory: String) throws {
        let path = Self.path(runDirectory: runDirectory, rank: rank)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunError.cannotCreate(path: folder.path, reason: error.localizedDescription)
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw RunError.cannotCreate(path: path, reason: "cannot open it for appending")
        }
        handle.seekToEndOfFile()
        lock.lock()
        defer { lock.unlock() }
        file = handle
        self.path = path
        for line in pending { handle.write(Data(line.utf8)) }
        pending.removeAll()
    }

    public func write(_ level: RunMessage.Level, _ text: String) {
        guard level <= self.level else { return }
        lock.lock()
        defer { lock.unlock() }
        let stamp = clock.string(from: Date())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "\(stamp) rank \(rank) \(level) \($0)\n" }.joined()
        if let file { file.write(Data(lines.utf8)) } else { pending.append(lines) }
    }

    public func info(_ text: String) { write(.info, text) }
    public func debug(_ text: String) { write(.debug, text) }
    public func warning(_ text: String) { write(.warning, text) }
    public func error(_ text: String) { write(.error, text) }
}
