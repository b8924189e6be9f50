import Autograd

/// `distributed.check_replicas_every: N`: every N steps the ranks compare a hash of their
/// parameters and running statistics. Data parallelism rests on every replica staying bit-equal;
/// a rank that drifts (a missed collective, a non-deterministic kernel, memory corruption) is
/// named at the step it happens instead of surfacing as a bad model much later.
public struct ReplicaCheck {
    public let every: Int

    public init(every: Int) { self.every = every }

    /// Compares this step's replicas if due; throws `CoordinationError.replicasDiverged` on every
    /// rank alike. Returns whether it checked.
    public func run(_ store: ParameterStore, step: Int, over comm: Communicator) throws -> Bool {
        guard every > 0, step % every == 0 else { return false }
        let mine = Int64(bitPattern: Self.hash(store.values) ^ (Self.hash(store.bufferValues) &* 0x9E37_79B9_7F4A_7C15))
        let all = try comm.allgather([mine]).map { $0[0] }
        let differing = all.indices.filter { all[$0] != all[0] }
        if !differing.isEmpty { throw CoordinationError.replicasDiverged(step: step, ranks: differing) }
        return true
    }

    /// A 64-bit hash of a tensor's bits (every element, order-sensitive).
    static func hash(_ t: Tensor) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(t.count)
        let p = t.data
        for i in 0..<t.count {
            h = (h ^ UInt64(p[i].bitPattern)) &* 0x100_0000_01B3
            h ^= h >> 29
        }
        return h
    }
}
