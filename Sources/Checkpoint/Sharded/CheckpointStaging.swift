import Foundation

/// A copy of exactly what this rank's shard holds (its slice of every replicated buffer, the
/// whole of every per-rank one), taken at a step boundary so that the save can go on in the
/// background while training changes the originals. The memory is kept and reused by the next
/// copy: one save is in flight at a time, so one staging area per rank suffices.
public final class CheckpointStaging: @unchecked Sendable {
    private var areas: [String: (values: UnsafeMutablePointer<Float>, capacity: Int)] = [:]

    public init() {}

    deinit {
        for area in areas.values { area.values.deallocate() }
    }

    /// Bytes held for copies.
    public var bytes: Int { areas.values.reduce(0) { $0 + $1.capacity * 4 } }

    /// Copies this rank's part of each of `buffers` and returns buffers that describe the copies
    /// (a replicated buffer as a held slice, so `ShardedCheckpoint.save` writes it unchanged). The
    /// returned buffers are valid until the next call.
    public func copy(_ buffers: [CheckpointBuffer], rank: Int, worldSize: Int) -> [CheckpointBuffer] {
        buffers.map { b in
            let mine = b.perRank ? 0..<b.count : ShardedCheckpoint.slice(count: b.count, rank: rank, worldSize: worldSize)
            let source = b.perRank ? b.values : b.values + (mine.lowerBound - (b.held?.lowerBound ?? 0))
            let target = area(b.name, count: mine.count)
            target.update(from: source, count: mine.count)
            return b.perRank
                ? CheckpointBuffer(name: b.name, values: target, count: b.count, owner: self, perRank: true)
                : CheckpointBuffer(name: b.name, values: target, count: b.count, owner: self, held: mine)
        }
    }

    private func area(_ name: String, count: Int) -> UnsafeMutablePointer<Float> {
        if let area = areas[name], area.capacity >= count { return area.values }
        areas[name]?.values.deallocate()
        let values = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        areas[name] = (values, max(count, 1))
        return values
    }
}
