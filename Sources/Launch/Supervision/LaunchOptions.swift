import Foundation

/// What `qcs launch` is asked to do: the run, the hosts it may use, and the limits on restarts.
public struct LaunchOptions: Sendable {
    public var runDirectory: String
    public var hosts: [MPIHost]
    /// Fewer usable hosts than this: wait for more, up to `waitForHosts` seconds.
    public var minHosts = 1
    /// At most this many hosts in a job (nil: all usable ones).
    public var maxHosts: Int?
    public var maxRestarts = 10
    public var waitForHosts: TimeInterval = 600
    /// Two failures of a host this close together blacklist it.
    public var blacklistWindow: TimeInterval = 600
    /// How long a failed host is left out before a probe may take it back (doubling per blacklisting).
    public var hostCooldown: TimeInterval = 60
    /// How long a probe may take before its host counts as not answering.
    public var probeTimeout: TimeInterval = 30
    /// How long a launch waits for the previous job's last rank to let go of the run directory.
    public var lockWait: TimeInterval = 60
    /// A job that writes no step for this long is ended as hung (0: never).
    public var stallSeconds: TimeInterval = 600
    /// How often hosts left out are probed to grow the running job back.
    public var growCheckSeconds: TimeInterval = 10
    public var job: MPIRunJob

    public init(runDirectory: String, hosts: [MPIHost], job: MPIRunJob) {
        self.runDirectory = runDirectory
        self.hosts = hosts
        self.job = job
    }
}
