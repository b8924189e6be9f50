import Distributed

/// The ranks' agreement after each stage of a save: every rank learns which ranks failed and why
/// (the reasons travel, so the error every rank throws names the cause, not only the rank).
enum SaveAgreement {
    /// Collective: the ranks whose `problem` was not nil, with their problems, in rank order.
    static func failures(_ problem: String?, over comm: Communicator) throws -> [(rank: Int, reason: String)] {
        var flags: [Int32] = [problem == nil ? 0 : 1]
        try comm.allreduce(&flags, .max)
        guard flags[0] != 0 else { return [] }
        let texts = try comm.allgather(problem.map { [UInt8(1)] + Array($0.utf8) } ?? [])
        return texts.enumerated().compactMap { rank, text in
            text.isEmpty ? nil : (rank, String(decoding: text.dropFirst(), as: UTF8.self))
        }
    }
}
