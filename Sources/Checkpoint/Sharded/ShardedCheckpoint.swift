import Autograd
import Distributed
import Foundation

/// Saving and restoring named flat buffers as a sharded checkpoint directory:
///
///     ROOT/step-000001200/manifest.json
///     ROOT/step-000001200/shard-00000-of-00004.bin.zst …
///     ROOT/latest                     the newest complete checkpoint's directory name
///
/// Save (collective: every rank calls it):
///   1. rank 0 makes `step-….tmp/`; barrier;
///   2. rank r writes its contiguous slice of every buffer (`EvenSplit`) into its shard, fsync'd;
///      of a per-rank buffer it writes all of its own (their counts are gathered first, so rank r's
///      part sits after ranks 0..<r's in the buffer's element numbering); a buffer the rank holds
///      only a slice of (ZeRO-1's optimiser state) must hold exactly its shard's slice;
///   3. the ranks agree whether every shard was written (one allreduce); if not, all throw
///      `saveFailed` and rank 0 removes the temporary directory;
///   4. the shards' summaries are gathered; rank 0 writes `manifest.json` last, fsyncs it, renames
///      the directory into place and replaces `latest` by rename; barrier.
/// A crash at any point leaves either the previous checkpoint as `latest` or the new one complete:
/// never a directory with a manifest whose shards are unfinished.
///
/// Restore reads any element range of each buffer at any world size, opening only the shards and
/// decoding only the frames that overlap it, after checking each shard's size and SHA-256.
public enum ShardedCheckpoint {
    /// zstd's level for durable checkpoints: float32 state shrinks by about 8 %.
    public static let defaultLevel: Int32 = 3
    /// zstd's fast level -3 for memory snapshots: frames stored nearly raw (literals uncompressed),
    /// so writing and reading cost little more than the SHA-256 (measured on float32 weights, one
    /// core of a Zen 3: 2.5 GB/s to compress and 5 GB/s to decompress, against 0.22 and 0.68 at 3).
    public static let fastLevel: Int32 = -3
    /// Element range of a buffer of `count` held by `rank` of `worldSize`.
    public static func slice(count: Int, rank: Int, worldSize: Int) -> Range<Int> {
        EvenSplit.range(count: count, part: rank, parts: worldSize)
    }

    /// Saves `buffers` as checkpoint `step` under `root` and points `root/latest` at it; returns its directory.
    @discardableResult
    public static func save(_ buffers: [CheckpointBuffer], tensors: [CheckpointManifest.TensorEntry] = [], step: Int,
                            metadata: [String: String], root: String, over comm: Communicator,
                            frameBytes: Int = 4 << 20, fault: SaveFaultInjection? = nil) throws -> String {
        let final = root + "/" + CheckpointManifest.directoryName(step: step)
        try save(buffers, tensors: tensors, step: step, metadata: metadata, into: final, latestIn: root, over: comm,
                 frameBytes: frameBytes, fault: fault)
        return final
    }

    /// Saves `buffers` as checkpoint `step` in the directory `final` (replacing one there); with
    /// `latestIn`, also points that folder's `latest` at it. `fault`: a test's kill in mid-shard.
    public static func save(_ buffers: [CheckpointBuffer], tensors: [CheckpointManifest.TensorEntry], step: Int,
                            metadata: [String: String], into final: String, latestIn root: String?,
                            over comm: Communicator, frameBytes: Int, fault: SaveFaultInjection? = nil) throws {
        try save(buffers, tensors: tensors, step: step, metadata: metadata, placement: .shared(final, worldSize: comm.size),
                 pointsLatest: root != nil, over: comm, frameBytes: frameBytes, fault: fault)
    }

    /// Saves `buffers` as checkpoint `step` where `placement` says: every rank its shard into its
    /// directory, copies to the ranks that keep them, then each directory's manifest, written last by
    /// its publisher, who renames the directory into place and (`pointsLatest`) points `latest` beside
    /// it at it. A failure at any stage is agreed on, fails every rank alike and publishes nothing.
    /// `level`: zstd's (`fastLevel` for snapshots in memory, where speed counts more than 8 % of room).
    public static func save(_ buffers: [CheckpointBuffer], tensors: [CheckpointManifest.TensorEntry], step: Int,
                            metadata: [String: String], placement: ShardPlacement, pointsLatest: Bool = true,
                            over comm: Communicator, frameBytes: Int, level: Int32 = defaultLevel,
                            fault: SaveFaultInjection? = nil) throws {
        precondition(placement.worldSize == comm.size, "a placement for \(placement.worldSize) ranks, the world has \(comm.size)")
        let fm = FileManager.default
        let final = placement.directories[comm.rank], temporary = final + ".tmp"
        let publishes = placement.publishers.contains(comm.rank)
        func agree(_ problem: String?) throws {
            let failures = try SaveAgreement.failures(problem, over: comm)
            guard let first = failures.first else { return }
            if publishes { try? fm.removeItem(atPath: temporary) }
            throw CheckpointError.saveFailed(directory: final, ranks: failures.map(\.rank), reason: first.reason)
        }

        // 1. Each directory's temporary folder, made by its publisher.
        var problem: String?
        if publishes {
            do {
                try fm.createDirectory(atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try? fm.removeItem(atPath: temporary)
                try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            } catch {
                problem = "cannot create \(temporary): " + error.localizedDescription
            }
        }
        try agree(problem)

        // 2. This rank's shard.
        let (ranges, totals) = try elementRanges(buffers, over: comm)
        var entry: CheckpointManifest.Shard?
        problem = nil
        do {
            entry = try writeShard(buffers, ranges: ranges, rank: comm.rank, worldSize: comm.size, step: step,
                                   directory: temporary, frameBytes: frameBytes, level: level, fault: fault)
        } catch { problem = "\(error)" }
        try agree(problem)

        // 3. Every shard's summary on every rank; copies to the ranks that keep them.
        var shards = try comm.allgather(Array(try JSONEncoder().encode(entry!)))
            .map { try JSONDecoder().decode(CheckpointManifest.Shard.self, from: Data($0)) }
        try agree(try ShardReplication.copy(shards, placement: placement, directory: temporary, over: comm))
        for r in shards.indices { shards[r].holders = placement.holders(of: r) }

        // 4. The manifests, written last.
        problem = nil
        if publishes {
            do {
                let manifest = CheckpointManifest(step: step, worldSize: comm.size, frameBytes: frameBytes,
                                                  buffers: zip(buffers, totals).map {
                                                      .init(name: $0.name, count: $1, perRank: $0.perRank ? true : nil) },
                                                  tensors: tensors, shards: shards, metadata: metadata)
                try writeSynced(try JSONEncoder.pretty.encode(manifest), to: temporary + "/manifest.json")
                let parent = (final as NSString).deletingLastPathComponent
                try? fm.removeItem(atPath: final)
                try rename(temporary, final)
                if pointsLatest {
                    try writeSynced(Data((final as NSString).lastPathComponent.utf8), to: parent + "/latest.tmp")
                    try rename(parent + "/latest.tmp", parent + "/latest")
                }
                syncDirectory(parent)  // the renames themselves reach the disk
            } catch {
                problem = "\(error)"
            }
        }
        let failures = try SaveAgreement.failures(problem, over: comm)
        if let first = failures.first {
            throw CheckpointError.saveFailed(directory: final, ranks: failures.map(\.rank), reason: first.reason)
        }
    }

    /// Fills `buffers` from the checkpoint in `directory`: for each, the elements `ranges(name)`
    /// gives (the whole buffer by default), read at whatever world size it was saved with. A
    /// per-rank buffer gets the part rank `rank` saved; the checkpoint must have been saved at the
    /// same world size with the same per-rank counts. A buffer that holds a slice gets that slice.
    public static func load(_ directory: String, into buffers: [CheckpointBuffer], rank: Int = 0,
                            ranges: (String) -> Range<Int>? = { _ in nil }) throws -> CheckpointManifest {
        let manifest = try CheckpointManifest.read(directory)
        if let elsewhere = shardsOnOtherHosts(manifest, in: directory) { throw elsewhere }
        try fill(buffers, from: manifest, at: directory, rank: rank, ranges: ranges) { .file(directory + "/" + $0.file) }
        return manifest
    }

    /// For one host's folder of a node-local checkpoint (its manifest records holders) that lacks
    /// some shard files: which are missing and where they are kept.
    static func shardsOnOtherHosts(_ manifest: CheckpointManifest, in directory: String) -> CheckpointError? {
        let missing = manifest.shards.filter { $0.holders != nil && !FileManager.default.fileExists(atPath: directory + "/" + $0.file) }
        guard !missing.isEmpty else { return nil }
        return .shardsOnOtherHosts(directory: directory, shards: missing.map {
            "\($0.file) (on \($0.holders!.joined(separator: ", ")))"
        })
    }

    /// Where a shard's bytes come from while filling buffers: its file (checked before its first
    /// read), or bytes in memory the caller has already checked.
    public enum ShardContents {
        case file(String)
        /// A file the caller has checked already.
        case checkedFile(String)
        case bytes(Data, name: String)
    }

    /// `load`'s work on `manifest` (its directory `directory`, for errors): `contents` is asked for
    /// every shard, in manifest order, on every rank alike (it may be collective), and the
    /// elements each buffer wants are read from what it gives.
    public static func fill(_ buffers: [CheckpointBuffer], from manifest: CheckpointManifest, at directory: String,
                            rank: Int = 0, ranges: (String) -> Range<Int>? = { _ in nil },
                            contents: (CheckpointManifest.Shard) throws -> ShardContents) throws {
        var differences: [String] = []
        let saved = Dictionary(manifest.buffers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Per buffer: the elements wanted, in the checkpoint's numbering, and where element 0 of `values` sits there.
        var wanted: [(range: Range<Int>, base: Int)] = []
        for b in buffers {
            guard let entry = saved[b.name] else {
                differences.append("\(b.name) is not in the checkpoint")
                wanted.append((0..<0, 0))
                continue
            }
            if b.perRank {
                let part = manifest.shards.first { $0.rank == rank }?.ranges.first { $0.buffer == b.name }
                guard entry.isPerRank, let part else {
                    differences.append("\(b.name) holds no part saved by rank \(rank)")
                    wanted.append((0..<0, 0))
                    continue
                }
                if part.upper - part.lower != b.count {
                    differences.append("\(b.name) of rank \(rank) has \(part.upper - part.lower) elements there, \(b.count) here")
                }
                wanted.append((part.lower..<part.upper, part.lower))
            } else {
                if entry.count != b.count { differences.append("\(b.name) has \(entry.count) elements there, \(b.count) here") }
                if let held = b.held {
                    wanted.append((held, held.lowerBound))
                } else {
                    wanted.append((ranges(b.name) ?? 0..<b.count, 0))
                }
            }
        }
        guard differences.isEmpty else { throw CheckpointError.buffersDiffer(directory: directory, differences: differences) }
        for shard in manifest.shards {
            let source = try contents(shard)
            var verified = false
            for (b, want) in zip(buffers, wanted) {
                for r in shard.ranges where r.buffer == b.name {
                    let overlap = (r.lower..<r.upper).clamped(to: want.range)
                    guard !overlap.isEmpty else { continue }
                    let start = r.rawOffset + (overlap.lowerBound - r.lower) * 4
                    let into = UnsafeMutableRawBufferPointer(start: b.values + (overlap.lowerBound - want.base), count: overlap.count * 4)
                    switch source {
                    case .file(let path), .checkedFile(let path):
                        if case .file = source, !verified { try FramedShardReader.verify(path, shard.summary) }
                        verified = true
                        try FramedShardReader.read(path, shard.summary, range: start..<(start + overlap.count * 4), into: into)
                    case .bytes(let bytes, let name):
                        try FramedShardReader.read(bytes: bytes, name: name, shard.summary, range: start..<(start + overlap.count * 4),
                                                   into: into)
                    }
                }
            }
        }
    }

    /// Checks every shard of `directory` (size, SHA-256): the errors, one per bad shard.
    public static func verify(_ directory: String) throws -> [CheckpointError] {
        let manifest = try CheckpointManifest.read(directory)
        if let elsewhere = shardsOnOtherHosts(manifest, in: directory) { return [elsewhere] }
        return manifest.shards.compactMap { shard in
            do {
                try FramedShardReader.verify(directory + "/" + shard.file, shard.summary)
                return nil
            } catch let error as CheckpointError {
                return error
            } catch {
                return .io(file: directory + "/" + shard.file, reason: "\(error)")
            }
        }
    }

    // MARK: - Files

    /// The element range of every buffer this rank saves (in the checkpoint's numbering), and
    /// each buffer's total count there. A per-rank buffer's counts are gathered from every rank.
    private static func elementRanges(_ buffers: [CheckpointBuffer], over comm: Communicator)
        throws -> (ranges: [Range<Int>], totals: [Int]) {
        let own = buffers.filter(\.perRank).map { Int64($0.count) }
        let everyRank = own.isEmpty ? [] : try comm.allgather(own)
        var ranges: [Range<Int>] = [], totals: [Int] = [], k = 0
        for b in buffers {
            if b.perRank {
                let counts = everyRank.map { Int($0[k]) }
                let start = counts[..<comm.rank].reduce(0, +)
                ranges.append(start..<(start + b.count))
                totals.append(counts.reduce(0, +))
                k += 1
            } else {
                let mine = slice(count: b.count, rank: comm.rank, worldSize: comm.size)
                precondition(b.held.map { $0 == mine } ?? true, "\(b.name): this rank holds \(b.held!), its shard is \(mine)")
                ranges.append(mine)
                totals.append(b.count)
            }
        }
        return (ranges, totals)
    }

    private static func writeShard(_ buffers: [CheckpointBuffer], ranges: [Range<Int>], rank: Int, worldSize: Int, step: Int,
                                   directory: String, frameBytes: Int, level: Int32,
                                   fault: SaveFaultInjection?) throws -> CheckpointManifest.Shard {
        let file = CheckpointManifest.shardFile(rank: rank, of: worldSize)
        let writer = try FramedShardWriter(path: directory + "/" + file, frameBytes: frameBytes, level: level)
        var entries: [CheckpointManifest.Shard.Range] = []
        var raw = 0
        for (b, r) in zip(buffers, ranges) {
            entries.append(.init(buffer: b.name, lower: r.lowerBound, upper: r.upperBound, rawOffset: raw))
            let local = b.perRank ? 0 : r.lowerBound - (b.held?.lowerBound ?? 0)
            try writer.append(UnsafeRawBufferPointer(start: b.values + local, count: r.count * 4))
            raw += r.count * 4
            fault?.strike(rank: rank, step: step, bytesWritten: writer.bytesWritten)
        }
        return CheckpointManifest.Shard(file: file, rank: rank, ranges: entries, summary: try writer.finish())
    }

    private static func writeSynced(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data), let handle = FileHandle(forWritingAtPath: path) else {
            throw CheckpointError.io(file: path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
        try handle.synchronize()
        try handle.close()
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    private static func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            throw CheckpointError.io(file: to, reason: "cannot rename \(from) into place: \(String(cString: strerror(errno)))")
        }
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
