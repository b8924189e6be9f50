// Array forms of the collectives, for the small messages of the coordinator (decisions, plans,
// fingerprints): the buffer forms are for gradients.

extension Communicator {
    /// Reduces `values` over every rank, in place.
    public func allreduce<T: CommunicationElement>(_ values: inout [T], _ op: ReduceOperation) throws {
        try values.withUnsafeMutableBufferPointer { try allreduce($0, op) }
    }

    /// `root`'s `values` on every rank (every rank passes an array of the same count).
    public func broadcast<T: CommunicationElement>(_ values: inout [T], root: Int) throws {
        try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    /// `root`'s array on every rank, whatever its length: the count goes first.
    public func broadcastArray<T: CommunicationElement>(_ values: [T], root: Int) throws -> [T] where T: Numeric {
        var count = [Int64(values.count)]
        try broadcast(&count, root: root)
        var result = rank == root ? values : [T](repeating: 0, count: Int(count[0]))
        try broadcast(&result, root: root)
        return result
    }

    /// Every rank's `values` (any length), in rank order.
    public func allgather<T: CommunicationElement>(_ values: [T]) throws -> [[T]] where T: Numeric {
        var counts = [Int64](repeating: 0, count: size)
        try [Int64(values.count)].withUnsafeBufferPointer { mine in
            try counts.withUnsafeMutableBufferPointer {
                try allgather(mine, into: $0, counts: [Int](repeating: 1, count: size))
            }
        }
        let sizes = counts.map { Int($0) }
        var all = [T](repeating: 0, count: sizes.reduce(0, +))
        try values.withUnsafeBufferPointer { mine in
            try all.withUnsafeMutableBufferPointer { try allgather(mine, into: $0, counts: sizes) }
        }
        var result: [[T]] = []
        var start = 0
        for n in sizes {
            result.append(Array(all[start..<(start + n)]))
            start += n
        }
        return result
    }
}
