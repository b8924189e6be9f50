import Foundation

/// Where `qcs launch` finds its hosts: `--hosts h1:2,h2`, a hostfile in Open MPI's form, or the
/// Slurm allocation it runs in. Names repeat nowhere: a second mention of a host is an error,
/// not extra slots, so a typo cannot double a host's ranks.
public enum HostList {
    /// `name[:slots]` separated by commas (slots default 1).
    public static func parse(_ text: String, source: String = "--hosts") throws(HostListError) -> [MPIHost] {
        var hosts: [MPIHost] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { throw HostListError("\(source): an empty host name in '\(text)'") }
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let name = parts.first.map(String.init), !name.isEmpty else {
                throw HostListError("\(source): '\(entry)' is not name or name:slots")
            }
            let slots = try parts.count == 2 ? slotCount(String(parts[1]), in: entry, source: source) : 1
            hosts.append(MPIHost(name: name, slots: slots))
        }
        return try unique(hosts, source: source)
    }

    /// Open MPI's hostfile: one host a line, `name`, `name slots=N` (`max_slots=` is read and
    /// ignored) or `name:N`; `#` starts a comment.
    public static func hostfile(_ text: String, source: String) throws(HostListError) -> [MPIHost] {
        var hosts: [MPIHost] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let first = words.first else { continue }
            let place = "\(source) line \(index + 1)"
            var host = try parse(first, source: place)[0]
            for word in words.dropFirst() {
                if word.hasPrefix("slots=") {
                    host.slots = try slotCount(String(word.dropFirst(6)), in: word, source: place)
                } else if !word.hasPrefix("max_slots=") {
                    throw HostListError("\(place): '\(word)' is not slots=N")
                }
            }
            hosts.append(host)
        }
        guard !hosts.isEmpty else { throw HostListError("\(source) names no host") }
        return try unique(hosts, source: source)
    }

    /// The hosts of a Slurm allocation: `SLURM_JOB_NODELIST` (`node[01-03,07],login`) with
    /// `SLURM_TASKS_PER_NODE` (`2(x3),1`) as the slots, one each when that is unset.
    public static func slurm(nodeList: String, tasksPerNode: String?) throws(HostListError) -> [MPIHost] {
        let names = try SlurmNodeList.expand(nodeList)
        let slots = try tasksPerNode.map { (text) throws(HostListError) in try SlurmNodeList.expandCounts(text) }
            ?? Array(repeating: 1, count: names.count)
        guard slots.count == names.count else {
            throw HostListError("SLURM_TASKS_PER_NODE '\(tasksPerNode ?? "")' gives \(slots.count) counts for "
                                + "\(names.count) nodes in SLURM_JOB_NODELIST '\(nodeList)'")
        }
        return try unique(zip(names, slots).map { MPIHost(name: $0, slots: $1) }, source: "SLURM_JOB_NODELIST")
    }

    private static func slotCount(_ text: String, in entry: String, source: String) throws(HostListError) -> Int {
        guard let n = Int(text), n >= 1, n <= 4096 else {
            throw HostListError("\(source): slots in '\(entry)' must be a whole number from 1 to 4096")
        }
        return n
    }

    private static func unique(_ hosts: [MPIHost], source: String) throws(HostListError) -> [MPIHost] {
        var seen = Set<String>()
        for host in hosts where !seen.insert(host.name).inserted {
            throw HostListError("\(source): host \(host.name) is named twice; give it once, with its slot count")
        }
        return hosts
    }
}
