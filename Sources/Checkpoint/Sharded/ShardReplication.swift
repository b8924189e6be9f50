import Distributed
import Foundation

/// Copies of shards on other hosts: every rank sends its finished shard file to the ranks that
/// keep a copy (`ShardPlacement.replicas`), in rounds of at most `chunkBytes` per pair (one
/// personalised exchange a round, so no message nears MPI's 2 GiB count limit), and each keeper
/// writes what it receives into its own directory under the shard's own name, syncs it and checks
/// its size and SHA-256 against the sender's summary.
enum ShardReplication {
    static let chunkBytes = 256 << 20

    /// Collective. `shards`: every rank's summary (rank order); `directory`: this rank's temporary
    /// checkpoint directory, where its own shard is and the copies go. Returns this rank's problem
    /// (nil: its copies are written and check out); a rank that cannot read its shard or make its
    /// files says so before any byte moves, and then every rank stops (the caller agrees on the result).
    static func copy(_ shards: [CheckpointManifest.Shard], placement: ShardPlacement, directory: String,
                     over comm: Communicator, chunkBytes: Int = chunkBytes) throws -> String? {
        let me = comm.rank
        let sources = placement.replicasHeld(by: me)
        let longest = shards.indices.filter { !placement.replicas[$0].isEmpty }.map { shards[$0].summary.bytes }.max() ?? 0
        guard longest > 0 else { return nil }

        var own = Data()
        var outputs: [Int: FileHandle] = [:]
        defer { for handle in outputs.values { try? handle.close() } }
        var problem: String?
        do {
            if !placement.replicas[me].isEmpty { own = try read(directory + "/" + shards[me].file) }
            for s in sources { outputs[s] = try create(directory + "/" + shards[s].file, source: s) }
        } catch { problem = "\(error)" }
        // Nobody sends when anybody cannot (the caller's agreement then names who and why).
        if try !SaveAgreement.failures(problem, over: comm).isEmpty { return problem }

        // Every round is made by every rank, whatever failed, so the exchanges stay matched.
        for offset in stride(from: 0, to: longest, by: chunkBytes) {
            func piece(_ rank: Int) -> Int { max(0, min(chunkBytes, shards[rank].summary.bytes - offset)) }
            let sendCounts = (0..<comm.size).map { placement.replicas[me].contains($0) ? piece(me) : 0 }
            let receiveCounts = (0..<comm.size).map { sources.contains($0) ? piece($0) : 0 }
            var send = [UInt8]()
            send.reserveCapacity(sendCounts.reduce(0, +))
            for count in sendCounts where count > 0 { send += own[offset..<(offset + count)] }
            var receive = [UInt8](repeating: 0, count: receiveCounts.reduce(0, +))
            try send.withUnsafeBufferPointer { out in
                try receive.withUnsafeMutableBufferPointer { into in
                    try comm.alltoall(out, sendCounts: sendCounts, into: into, receiveCounts: receiveCounts)
                }
            }
            var at = 0
            for (s, count) in receiveCounts.enumerated() where count > 0 {
                if problem == nil {
                    do { try outputs[s]!.write(contentsOf: receive[at..<(at + count)]) } catch {
                        problem = "\(directory)/\(shards[s].file): cannot write a copy of rank \(s)'s shard: "
                            + error.localizedDescription
                    }
                }
                at += count
            }
        }
        if problem != nil { return problem }
        do {
            for s in sources {
                let path = directory + "/" + shards[s].file
                do { try outputs[s]!.synchronize() } catch {
                    throw CheckpointError.io(file: path, reason: "cannot sync a copy to disk: \(error.localizedDescription)")
                }
                try FramedShardReader.verify(path, shards[s].summary)
            }
        } catch { return "\(error)" }
        return nil
    }

    private static func create(_ path: String, source: Int) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CheckpointError.io(file: path, reason: "cannot create a copy of rank \(source)'s shard: "
                                     + String(cString: strerror(errno)))
        }
        return handle
    }

    private static func read(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError.io(file: path, reason: "cannot read the shard back to copy it: \(error.localizedDescription)")
        }
    }
}
