/// A request to a running supervisor over its control socket (`qcs ctl RUN …`), one line of text.
public enum ControlCommand: Equatable, Sendable {
    /// Where the run is: the job, its hosts, restarts, the last cause.
    case status
    /// A checkpoint now; the run goes on.
    case checkpoint
    /// A checkpoint, then the run and the supervisor end (exit 2).
    case stop
    /// A checkpoint, then the run waits with the supervisor alive until `resume`.
    case pause
    case resume
    /// Take a host out at the next checkpoint (planned maintenance); it stays out until added again.
    case drain(String)
    /// Offer a host (new, or drained before); the running job grows onto it at its next probe.
    case add(MPIHost)
    /// Every host and its state.
    case hosts

    public static let usage = "status | checkpoint | stop | pause | resume | drain HOST | add HOST[:SLOTS] | hosts"

    /// The command of a line like `drain qh2`; nil with the reason when it is not one.
    public static func parse(_ line: String) -> Result<ControlCommand, ControlError> {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let verb = words.first else { return .failure(ControlError("an empty command; one of: \(usage)")) }
        let argument = words.dropFirst().first
        let simple: [String: ControlCommand] = ["status": .status, "checkpoint": .checkpoint, "stop": .stop, "pause": .pause,
                                                "resume": .resume, "hosts": .hosts]
        if let command = simple[verb] {
            return words.count == 1 ? .success(command) : .failure(ControlError("\(verb) takes no argument"))
        }
        switch verb {
        case "drain":
            guard let argument, words.count == 2 else { return .failure(ControlError("drain takes one host: drain HOST")) }
            return .success(.drain(argument))
        case "add":
            guard let argument, words.count == 2 else { return .failure(ControlError("add takes one host: add HOST[:SLOTS]")) }
            do {
                return .success(.add(try HostList.parse(argument, source: "add")[0]))
            } catch {
                return .failure(ControlError(error.description))
            }
        default:
            return .failure(ControlError("'\(verb)' is not a command; one of: \(usage)"))
        }
    }
}

/// A control request that cannot be done, said in one sentence.
public struct ControlError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
