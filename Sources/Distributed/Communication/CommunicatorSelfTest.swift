/// Checks every collective of a communicator against its closed form, with values that every
/// implementation must reduce exactly (small integers in float). `qcs-mpi-check` runs it under
/// mpirun; the unit tests run it on in-process worlds, so both implementations meet one standard.
public enum CommunicatorSelfTest {
    /// Runs every check (collective: every rank calls it); returns what failed on this rank.
    public static func run(_ comm: Communicator) throws -> [String] {
        var failures: [String] = []
        func expect(_ ok: Bool, _ what: @autoclosure () -> String) {
            if !ok { failures.append("rank \(comm.rank): \(what())") }
        }
        let r = comm.rank, n = comm.size
        let triangle = n * (n + 1) / 2

        // allreduce: sum, max, min, on each element kind
        var f: [Float] = [Float(r + 1), 1, -Float(r)]
        try comm.allreduce(&f, .sum)
        expect(f == [Float(triangle), Float(n), -Float(triangle - n)], "allreduce sum Float \(f)")
        var d: [Double] = [Double(r), Double(-r)]
        try comm.allreduce(&d, .max)
        expect(d == [Double(n - 1), 0], "allreduce max Double \(d)")
        var i32: [Int32] = [Int32(r), Int32(10 - r)]
        try comm.allreduce(&i32, .min)
        expect(i32 == [0, Int32(10 - (n - 1))], "allreduce min Int32 \(i32)")
        var i64: [Int64] = [Int64(r) << 33]
        try comm.allreduce(&i64, .sum)
        expect(i64 == [Int64(triangle - n) << 33], "allreduce sum Int64 (beyond 32 bits) \(i64)")

        // nonblocking allreduce, two in flight
        var a: [Float] = [Float(r)], b: [Double] = [1]
        try a.withUnsafeMutableBufferPointer { pa in
            try b.withUnsafeMutableBufferPointer { pb in
                let first = try comm.startAllreduce(pa, .sum)
                let second = try comm.startAllreduce(pb, .sum)
                try second.wait()
                try first.wait()
            }
        }
        expect(a == [Float(triangle - n)] && b == [Double(n)], "startAllreduce \(a) \(b)")

        // broadcast from the last rank
        var bc: [Int64] = r == n - 1 ? [7, 8, 9] : [0, 0, 0]
        try comm.broadcast(&bc, root: n - 1)
        expect(bc == [7, 8, 9], "broadcast \(bc)")
        let plan = try comm.broadcastArray(r == 0 ? [Int32](0..<5) : [], root: 0)
        expect(plan == [0, 1, 2, 3, 4], "broadcastArray \(plan)")

        // allgather, equal and unequal counts
        let equal = try comm.allgather([Float(r), Float(r * 10)])
        expect(equal == (0..<n).map { [Float($0), Float($0 * 10)] }, "allgather \(equal)")
        let ragged = try comm.allgather([Int32](repeating: Int32(r), count: r))
        expect(ragged == (0..<n).map { [Int32](repeating: Int32($0), count: $0) }, "allgatherv \(ragged)")

        // reduce-scatter: block k (k + 1 elements) of every rank's vector holds (k + 1)·(rank + 1)
        let counts = (0..<n).map { $0 + 1 }
        var send: [Float] = []
        for k in 0..<n { send += [Float](repeating: Float((k + 1) * (r + 1)), count: counts[k]) }
        var mine = [Float](repeating: -1, count: counts[r])
        try send.withUnsafeBufferPointer { s in
            try mine.withUnsafeMutableBufferPointer { try comm.reduceScatter(s, into: $0, counts: counts, .sum) }
        }
        expect(mine == [Float](repeating: Float((r + 1) * triangle), count: r + 1), "reduceScatter \(mine)")

        // alltoall(v): rank r sends d + 1 copies of 100·r + d to rank d
        var outgoing: [Int32] = []
        for dest in 0..<n { outgoing += [Int32](repeating: Int32(100 * r + dest), count: dest + 1) }
        var incoming = [Int32](repeating: -1, count: n * (r + 1))
        try outgoing.withUnsafeBufferPointer { s in
            try incoming.withUnsafeMutableBufferPointer {
                try comm.alltoall(s, sendCounts: (0..<n).map { $0 + 1 }, into: $0,
                                  receiveCounts: [Int](repeating: r + 1, count: n))
            }
        }
        let expected = (0..<n).flatMap { source in [Int32](repeating: Int32(100 * source + r), count: r + 1) }
        expect(incoming == expected, "alltoall \(incoming)")

        // a duplicate is a separate world of the same ranks
        let copy = try comm.duplicate()
        expect(copy.rank == r && copy.size == n, "duplicate is rank \(copy.rank) of \(copy.size)")
        var c: [Float] = [1]
        try copy.allreduce(&c, .sum)
        expect(c == [Float(n)], "allreduce on the duplicate \(c)")
        expect(comm.localRank < comm.localSize && comm.localSize <= n, "local rank \(comm.localRank) of \(comm.localSize)")
        try comm.barrier()
        return failures
    }
}
