/// A machine the job may run ranks on, and how many (mpirun's `--host name:slots`).
public struct MPIHost: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var slots: Int

    public init(name: String, slots: Int = 1) {
        self.name = name
        self.slots = slots
    }

    public var description: String { "\(name):\(slots)" }
}

/// A host list that cannot be read: what, and where.
public struct HostListError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
