import Foundation

/// `distributed.debug: check | detail`: a communicator that, before each collective, makes sure
/// every rank is about to make the same one (same place in the sequence, operation, element type,
/// count and root or reduction), and otherwise stops every rank with an error naming which rank
/// called what. This is the hang nobody can explain, caught where it starts: one rank in an
/// allreduce of 4 MiB, another in a barrier, both waiting forever.
///
/// The check is one extra allreduce of 10 integers per collective (the maximum of every field
/// and of its negation, so equal fields everywhere show as max = −max(−x)), and on a mismatch
/// one allgather of every rank's call. `detail` also logs each collective with its size and time.
/// A duplicate (the gradient exchange's thread) is checked the same way with its own sequence.
/// With `verifies` off it only feeds the `FlightRecorder`, which costs no communication.
public final class CheckedCommunicator: Communicator {
    public let base: Communicator
    public let name: String
    public let verifies: Bool
    public let logsEachCall: Bool
    public let recorder: FlightRecorder?
    private let log: @Sendable (String) -> Void
    private var sequence: Int64 = 0
    private var duplicates = 0

    /// - Parameters:
    ///   - name: how errors and log lines call this communicator ("main", "main/1" for a duplicate).
    ///   - verifies: compare every call across ranks first (`check`).
    ///   - logsEachCall: `detail`: a log line per collective.
    ///   - recorder: where each call's start and end are kept.
    ///   - log: where those lines go (the rank's own log).
    public init(_ base: Communicator, name: String = "main", verifies: Bool = true, logsEachCall: Bool = false,
                recorder: FlightRecorder? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.base = base
        self.name = name
        self.verifies = verifies
        self.logsEachCall = logsEachCall
        self.recorder = recorder
        self.log = log
    }

    public var rank: Int { base.rank }
    public var size: Int { base.size }
    public var localRank: Int { base.localRank }
    public var localSize: Int { base.localSize }

    public func allreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) throws {
        try checked(.allreduce, T.self, buffer.count, CollectiveCall.code(op)) { try base.allreduce(buffer, op) }
    }

    public func startAllreduce<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>,
                                                       _ op: ReduceOperation) throws -> CommunicationRequest {
        var token: Int?
        let request = try checked(.startAllreduce, T.self, buffer.count, CollectiveCall.code(op), keepsOpen: { token = $0 }) {
            try base.startAllreduce(buffer, op)
        }
        return RecordedRequest(request, recorder: recorder, token: token)
    }

    public func broadcast<T: CommunicationElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try checked(.broadcast, T.self, buffer.count, Int64(root)) { try base.broadcast(buffer, root: root) }
    }

    public func allgather<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                  counts: [Int]) throws {
        try checked(.allgather, T.self, receive.count) { try base.allgather(send, into: receive, counts: counts) }
    }

    public func reduceScatter<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>,
                                                      counts: [Int], _ op: ReduceOperation) throws {
        try checked(.reduceScatter, T.self, send.count, CollectiveCall.code(op)) {
            try base.reduceScatter(send, into: receive, counts: counts, op)
        }
    }

    public func alltoall<T: CommunicationElement>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                                 into receive: UnsafeMutableBufferPointer<T>, receiveCounts: [Int]) throws {
        // Each rank's own counts differ by design: only the type and the world-wide total must agree.
        try checked(.alltoall, T.self, 0) {
            try base.alltoall(send, sendCounts: sendCounts, into: receive, receiveCounts: receiveCounts)
        }
    }

    public func barrier() throws {
        try checked(.barrier, nil, 0) { try base.barrier() }
    }

    public func duplicate() throws -> Communicator {
        let copy = try checked(.duplicate, nil, 0) { try base.duplicate() }
        duplicates += 1
        return CheckedCommunicator(copy, name: "\(name)/\(duplicates)", verifies: verifies, logsEachCall: logsEachCall,
                                   recorder: recorder, log: log)
    }

    public func abort(code: Int32) -> Never { base.abort(code: code) }

    /// - Parameter keepsOpen: for a nonblocking call: receives the recorder's token, which its
    ///   request ends at `wait`, instead of ending the entry when the call returns.
    private func checked<R>(_ operation: CollectiveCall.Operation, _ element: (any CommunicationElement.Type)?, _ count: Int,
                            _ detail: Int64 = 0, keepsOpen: ((Int?) -> Void)? = nil, _ call: () throws -> R) throws -> R {
        sequence += 1
        let mine = CollectiveCall(sequence: sequence, operation: operation, element: element?.kind, count: count,
                                  detail: detail)
        let token = recorder?.begin(name, mine.description)
        keepsOpen?(token)
        defer { if keepsOpen == nil, let token { recorder?.end(token) } }
        if verifies { try verify(mine) }
        guard logsEachCall else { return try call() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try call()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let bytes = element.map { count * Self.bytes($0.kind) } ?? 0
        log(String(format: "collective %@ %@: %d bytes, %.6f s", name, mine.description, bytes, seconds))
        return result
    }

    /// Throws `CommunicationError.collectiveMismatch` on every rank when any rank's call differs.
    private func verify(_ mine: CollectiveCall) throws {
        let fields = mine.encoded
        var extremes = fields + fields.map { -$0 }
        try extremes.withUnsafeMutableBufferPointer { try base.allreduce($0, .max) }
        let width = CollectiveCall.width
        let agree = (0..<width).allSatisfy { extremes[$0] == -extremes[width + $0] }
        if agree { return }
        let calls = try base.allgather(fields).map { CollectiveCall(encoded: $0) }
        let sites = try gatherCallSites()
        throw CommunicationError.collectiveMismatch(communicator: name, calls: zip(calls, sites).map { call, site in
            (call?.description ?? "?") + (site.map { " from \($0)" } ?? "")
        })
    }

    /// Every rank's `CallSite` (nil where it has none).
    private func gatherCallSites() throws -> [String?] {
        try base.allgather(Array((CallSite.caller() ?? "").utf8)).map { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
    }

    private static func bytes(_ kind: ElementKind) -> Int {
        switch kind {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8: 1
        case .uint16: 2
        }
    }
}

/// A nonblocking call's request whose `wait` also ends its flight-recorder entry.
private final class RecordedRequest: CommunicationRequest {
    let base: CommunicationRequest
    let recorder: FlightRecorder?
    let token: Int?

    init(_ base: CommunicationRequest, recorder: FlightRecorder?, token: Int?) {
        self.base = base
        self.recorder = recorder
        self.token = token
    }

    func wait() throws {
        defer { if let token { recorder?.end(token) } }
        try base.wait()
    }
}
