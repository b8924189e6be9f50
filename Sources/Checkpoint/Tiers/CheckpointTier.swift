/// Where a checkpoint lives, fastest first: node memory (outlives a job's processes, not the
/// node), each node's own disk (outlives the node's reboot, not its loss), the run directory
/// (shared storage: outlives any node).
public enum CheckpointTier: String, Codable, Sendable, CaseIterable, Comparable {
    case memory, local, shared

    /// How messages name a checkpoint of this tier.
    public var noun: String {
        switch self {
        case .memory: "memory snapshot"
        case .local: "local checkpoint"
        case .shared: "checkpoint"
        }
    }

    public static func < (a: CheckpointTier, b: CheckpointTier) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
