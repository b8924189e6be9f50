import CZstd
import Foundation

/// One compressed frame of a shard: where it sits in the file and which raw bytes it holds.
public struct ShardFrame: Codable, Equatable, Sendable {
    /// Byte offset and length of the frame in the shard file.
    public var offset: Int, compressedBytes: Int
    /// Offset and length of its raw (decompressed) bytes in the shard's raw stream.
    public var rawOffset: Int, rawBytes: Int
}

/// What a finished shard is: its size, checksum and frame table (recorded in the manifest).
public struct ShardSummary: Codable, Equatable, Sendable {
    public var bytes: Int
    public var rawBytes: Int
    public var sha256: String
    public var frames: [ShardFrame]
}

/// Writes a shard: raw bytes cut into independent zstd frames of `frameBytes` each (the last one
/// shorter), each with zstd's content checksum, so a reader decompresses only the frames
/// overlapping the range it needs, and any zstd tool (`zstd -d`, Python's `zstandard`) reads the
/// whole file as the concatenated raw stream. The file is hashed as it is written and fsync'd
/// by `finish`.
public final class FramedShardWriter {
    public let path: String
    public let frameBytes: Int
    private let handle: FileHandle
    private let context: OpaquePointer
    private var pending: [UInt8] = []
    private var frames: [ShardFrame] = []
    private var written = 0, raw = 0
    private var hash = SHA256()

    /// Compressed bytes in the file so far.
    public var bytesWritten: Int { written }

    public init(path: String, frameBytes: Int = 4 << 20, level: Int32 = 3) throws {
        precondition(frameBytes > 0, "frame size must be positive")
        self.path = path
        self.frameBytes = frameBytes
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CheckpointError.io(file: path, reason: "cannot create the file: \(String(cString: strerror(errno))) "
                                     + "(check the directory, its permissions and free space)")
        }
        self.handle = handle
        context = ZSTD_createCCtx()
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        pending.reserveCapacity(frameBytes)
    }

    deinit {
        ZSTD_freeCCtx(context)
        try? handle.close()
    }

    /// Appends raw bytes to the shard's stream.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(frameBytes - pending.count, rest.count)
            pending += rest.prefix(take)
            rest = rest.dropFirst(take)
            if pending.count == frameBytes { try flushFrame() }
        }
    }

    /// Writes the last frame, syncs the file to disk and returns what the manifest records.
    public func finish() throws -> ShardSummary {
        if !pending.isEmpty { try flushFrame() }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw CheckpointError.io(file: path, reason: "cannot sync to disk: \(error.localizedDescription)")
        }
        return ShardSummary(bytes: written, rawBytes: raw, sha256: hash.hexDigest(), frames: frames)
    }

    private func flushFrame() throws {
        let bound = ZSTD_compressBound(pending.count)
        var out = [UInt8](repeating: 0, count: bound)
        let size = pending.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress2(context, dst.baseAddress, bound, src.baseAddress, src.count)
            }
        }
        guard ZSTD_isError(size) == 0 else {
            throw CheckpointError.io(file: path, reason: "zstd: " + String(cString: ZSTD_getErrorName(size)))
        }
        let frame = Data(out[..<size])
        do { try handle.write(contentsOf: frame) } catch {
            throw CheckpointError.io(file: path, reason: "cannot write: \(error.localizedDescription)")
        }
        frame.withUnsafeBytes { hash.update($0) }
        frames.append(ShardFrame(offset: written, compressedBytes: size, rawOffset: raw, rawBytes: pending.count))
        written += size
        raw += pending.count
        pending.removeAll(keepingCapacity: true)
    }
}

/// Reads shards written by `FramedShardWriter`, trusting nothing: sizes, checksums and every
/// frame's decompressed size are checked against the manifest's summary. A shard is read from its
/// file, or from its bytes in memory (one received from the rank that holds it); `name` is what
/// errors call it.
public enum FramedShardReader {
    /// Throws when the file's size or SHA-256 differs from `summary`. Streams the file through one
    /// reused 4 MiB buffer, so a shard of any size costs no more memory than that (and no fresh
    /// pages, which cost more than the hash on a snapshot in `/dev/shm`).
    public static func verify(_ path: String, _ summary: ShardSummary) throws {
        let file = try ShardFile(path)
        var hash = SHA256()
        var size = 0
        try file.withPieces(of: 4 << 20) { piece in
            hash.update(piece)
            size += piece.count
        }
        try check(size: size, digest: hash.hexDigest(), summary, name: path)
    }

    /// The same check of a shard's bytes in memory.
    public static func verify(bytes: Data, name: String, _ summary: ShardSummary) throws {
        var hash = SHA256()
        bytes.withUnsafeBytes { hash.update($0) }
        try check(size: bytes.count, digest: hash.hexDigest(), summary, name: name)
    }

    private static func check(size: Int, digest: String, _ summary: ShardSummary, name: String) throws {
        guard size == summary.bytes else {
            throw CheckpointError.shardTruncated(file: name, expectedBytes: summary.bytes, foundBytes: size)
        }
        guard digest == summary.sha256 else {
            throw CheckpointError.shardChecksumMismatch(file: name, expected: summary.sha256, found: digest)
        }
    }

    /// The raw bytes `range` of the shard's stream, decompressing only the frames it overlaps.
    /// Returns them with the indices of the frames decoded.
    public static func read(_ path: String, _ summary: ShardSummary, range: Range<Int>) throws -> (bytes: [UInt8], frames: [Int]) {
        var out = [UInt8](repeating: 0, count: range.count)
        let frames = try out.withUnsafeMutableBytes { try read(path, summary, range: range, into: $0) }
        return (out, frames)
    }

    /// Writes the raw bytes `range` of the shard's stream into `destination` (`range.count` bytes),
    /// decompressing frames that lie wholly inside the range straight into it; returns the
    /// indices of the frames decoded.
    @discardableResult
    public static func read(_ path: String, _ summary: ShardSummary, range: Range<Int>,
                            into destination: UnsafeMutableRawBufferPointer) throws -> [Int] {
        try checkRange(range, summary, name: path, destination: destination)
        let file = try ShardFile(path)
        let largest = summary.frames.map(\.compressedBytes).max() ?? 0
        let compressed = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 1), alignment: 64)
        defer { compressed.deallocate() }
        return try decode(summary, range: range, into: destination, name: path) { i, frame in
            let got = try file.read(at: frame.offset, into: UnsafeMutableRawBufferPointer(rebasing: compressed[..<frame.compressedBytes]),
                                    what: "frame \(i)")
            return UnsafeRawBufferPointer(rebasing: compressed[..<got])
        }
    }

    /// The same read from a shard's bytes in memory.
    @discardableResult
    public static func read(bytes: Data, name: String, _ summary: ShardSummary, range: Range<Int>,
                            into destination: UnsafeMutableRawBufferPointer) throws -> [Int] {
        try checkRange(range, summary, name: name, destination: destination)
        return try bytes.withUnsafeBytes { all in
            try decode(summary, range: range, into: destination, name: name) { _, frame in
                let end = min(all.count, frame.offset + frame.compressedBytes)
                return frame.offset < end ? UnsafeRawBufferPointer(rebasing: all[frame.offset..<end]) : UnsafeRawBufferPointer(start: nil, count: 0)
            }
        }
    }

    private static func checkRange(_ range: Range<Int>, _ summary: ShardSummary, name: String,
                                   destination: UnsafeMutableRawBufferPointer) throws {
        guard range.lowerBound >= 0, range.upperBound <= summary.rawBytes else {
            throw CheckpointError.rangeOutsideShard(file: name, range: range, rawBytes: summary.rawBytes)
        }
        precondition(destination.count >= range.count, "destination smaller than the range")
    }

    /// Decodes the frames overlapping `range`, each fetched by `frameBytes(index, frame)` (its bytes
    /// need to stay valid only until the next fetch).
    private static func decode(_ summary: ShardSummary, range: Range<Int>, into destination: UnsafeMutableRawBufferPointer,
                               name: String, frameBytes: (Int, ShardFrame) throws -> UnsafeRawBufferPointer) throws -> [Int] {
        var scratch: [UInt8] = []
        var decoded: [Int] = []
        for (i, frame) in summary.frames.enumerated() {
            let raw = frame.rawOffset..<(frame.rawOffset + frame.rawBytes)
            let overlap = raw.clamped(to: range)
            guard !overlap.isEmpty else { continue }
            let compressed = try frameBytes(i, frame)
            guard compressed.count == frame.compressedBytes else {
                throw CheckpointError.shardTruncated(file: name, expectedBytes: summary.bytes, foundBytes: frame.offset + compressed.count)
            }
            let whole = overlap == raw
            if !whole && scratch.count < frame.rawBytes { scratch = [UInt8](repeating: 0, count: frame.rawBytes) }
            let decode = { (dst: UnsafeMutableRawPointer) -> Int in
                ZSTD_decompress(dst, frame.rawBytes, compressed.baseAddress, compressed.count)
            }
            let size = whole ? decode(destination.baseAddress! + (raw.lowerBound - range.lowerBound))
                : scratch.withUnsafeMutableBytes { decode($0.baseAddress!) }
            guard ZSTD_isError(size) == 0 else {
                throw CheckpointError.frameCorrupt(file: name, frame: i, reason: String(cString: ZSTD_getErrorName(size)))
            }
            guard size == frame.rawBytes else {
                throw CheckpointError.frameCorrupt(file: name, frame: i, reason: "\(size) bytes where \(frame.rawBytes) were written")
            }
            if !whole {
                scratch.withUnsafeBytes { plain in
                    (destination.baseAddress! + (overlap.lowerBound - range.lowerBound))
                        .copyMemory(from: plain.baseAddress! + (overlap.lowerBound - frame.rawOffset), byteCount: overlap.count)
                }
            }
            decoded.append(i)
        }
        return decoded
    }
}
