import Foundation

/// What a manifest must be before any reader trusts it: every reader (resume, inspect, verify,
/// export, reshard, replay, eval) gets it through `CheckpointManifest.read`, which refuses one
/// that breaks a rule here as unreadable, so `--resume auto` skips it like any corrupt checkpoint.
extension CheckpointManifest {
    /// The first rule the manifest breaks, or nil.
    func structuralProblem() -> String? {
        guard step >= 0 else { return "step is \(step)" }
        guard worldSize >= 1 else { return "world_size is \(worldSize)" }
        guard frameBytes >= 1 else { return "frameBytes is \(frameBytes)" }
        var counts: [String: Int] = [:]
        for b in buffers {
            guard counts[b.name] == nil else { return "buffer '\(b.name)' is listed twice" }
            guard b.count >= 0 else { return "buffer '\(b.name)' has \(b.count) elements" }
            counts[b.name] = b.count
        }
        guard shards.count == worldSize, Set(shards.map(\.rank)) == Set(0..<worldSize) else {
            return "it lists shards of ranks \(shards.map(\.rank)) for a world of \(worldSize): one per rank 0 to \(worldSize - 1)"
        }
        guard Set(shards.map(\.file)).count == shards.count else { return "two shards name the same file" }
        var pieces: [String: [Range<Int>]] = [:]
        for shard in shards {
            if let problem = shard.problem(counts) { return "shard of rank \(shard.rank) (\(shard.file)): \(problem)" }
            for r in shard.ranges { pieces[r.buffer, default: []].append(r.lower..<r.upper) }
        }
        for b in buffers {
            let sorted = (pieces[b.name] ?? []).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
            var covered = 0
            for piece in sorted {
                guard piece.lowerBound == covered else {
                    return piece.lowerBound < covered
                        ? "buffer '\(b.name)': elements \(piece.lowerBound)..<\(covered) are in two shards"
                        : "buffer '\(b.name)': no shard holds elements \(covered)..<\(piece.lowerBound)"
                }
                covered = piece.upperBound
            }
            guard covered == b.count else {
                return "buffer '\(b.name)' has \(b.count) elements, its shards hold \(covered)"
            }
        }
        var names = Set<String>()
        for t in tensors {
            guard names.insert(t.name).inserted else { return "tensor '\(t.name)' is listed twice" }
            guard let count = counts[t.buffer] else { return "tensor '\(t.name)' is in buffer '\(t.buffer)', which is not listed" }
            guard t.shape.allSatisfy({ $0 >= 0 }), let size = Self.product(t.shape), t.offset >= 0,
                  t.offset <= count - size else {
                return "tensor '\(t.name)' (shape \(t.shape), offset \(t.offset)) lies outside buffer '\(t.buffer)' "
                    + "of \(count) elements"
            }
        }
        return nil
    }

    /// The element count of `shape`, nil when it overflows.
    static func product(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }
}

extension CheckpointManifest.Shard {
    /// What is wrong with this shard's entry, given each buffer's element count.
    func problem(_ counts: [String: Int]) -> String? {
        guard !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
            return "its file must be a name in the checkpoint directory"
        }
        guard summary.bytes >= 0, summary.rawBytes >= 0 else { return "negative sizes" }
        var seen = Set<String>()
        for r in ranges {
            guard let count = counts[r.buffer] else { return "buffer '\(r.buffer)' is not listed" }
            guard seen.insert(r.buffer).inserted else { return "two ranges of buffer '\(r.buffer)'" }
            guard r.lower >= 0, r.lower <= r.upper, r.upper <= count else {
                return "range \(r.lower)..<\(r.upper) of buffer '\(r.buffer)', which has \(count) elements"
            }
            let (bytes, overflow) = (r.upper - r.lower).multipliedReportingOverflow(by: 4)
            guard !overflow, r.rawOffset >= 0, r.rawOffset <= summary.rawBytes - bytes else {
                return "buffer '\(r.buffer)' at raw byte \(r.rawOffset) runs past the shard's \(summary.rawBytes) raw bytes"
            }
        }
        var raw = 0
        for frame in summary.frames {
            guard frame.rawOffset == raw, frame.rawBytes >= 0, frame.offset >= 0, frame.compressedBytes >= 0,
                  frame.offset <= summary.bytes - frame.compressedBytes else {
                return "its frame table does not cover the raw stream in order"
            }
            raw += frame.rawBytes
        }
        guard raw == summary.rawBytes else { return "its frames hold \(raw) raw bytes, the shard \(summary.rawBytes)" }
        return nil
    }
}
