import Yams

/// A problem in a configuration file, always naming the key and saying what is allowed.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String
    public init(key: String, _ message: String) { self.key = key; self.message = message }
    public var description: String { "config key '\(key)': \(message)" }
}

/// One mapping of a YAML configuration, read field by field. Every key must be consumed:
/// `finish()` rejects the ones nobody asked for, so a typo is an error, not a silent default.
public final class ConfigSection {
    public let path: String
    private let mapping: [String: Node]
    private var consumed: Set<String> = []

    public init(node: Node?, path: String) throws {
        self.path = path
        guard let node else { mapping = [:]; return }
        guard case .mapping(let m) = node else { throw ConfigError(key: path, "expected a mapping of key: value") }
        var dict: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { throw ConfigError(key: path, "keys must be strings") }
            dict[key] = v
        }
        mapping = dict
    }

    /// Parses YAML text into its top-level section.
    public static func parse(yaml text: String, source: String) throws -> ConfigSection {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(key: source, "not valid YAML: \(error)")
        }
        return try ConfigSection(node: node, path: "")
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool { mapping[key] != nil }

    public func section(_ key: String) throws -> ConfigSection {
        consumed.insert(key)
        return try ConfigSection(node: mapping[key], path: name(key))
    }

    public func int(_ key: String, default value: Int) throws -> Int {
        guard let node = take(key) else { return value }
        guard let v = node.int else { throw ConfigError(key: name(key), "expected an integer, got '\(node.string ?? "?")'") }
        return v
    }

    public func double(_ key: String, default value: Double) throws -> Double {
        guard let node = take(key) else { return value }
        guard let v = node.float else { throw ConfigError(key: name(key), "expected a number, got '\(node.string ?? "?")'") }
        return v
    }

    public func string(_ key: String, default value: String) throws -> String {
        guard let node = take(key) else { return value }
        guard let v = node.string else { throw ConfigError(key: name(key), "expected a string") }
        return v
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let node = take(key) else { return value }
        guard let v = node.bool else { throw ConfigError(key: name(key), "expected true or false") }
        return v
    }

    public func ints(_ key: String, default value: [Int]) throws -> [Int] {
        guard let node = take(key) else { return value }
        guard case .sequence(let seq) = node else { throw ConfigError(key: name(key), "expected a list of integers like [1, 2, 3]") }
        return try seq.map { n in
            guard let v = n.int else { throw ConfigError(key: name(key), "expected integers, got '\(n.string ?? "?")'") }
            return v
        }
    }

    public func doubles(_ key: String, default value: [Double]) throws -> [Double] {
        guard let node = take(key) else { return value }
        guard case .sequence(let seq) = node else { throw ConfigError(key: name(key), "expected a list of numbers like [1, 2.5]") }
        return try seq.map { n in
            guard let v = n.float else { throw ConfigError(key: name(key), "expected numbers, got '\(n.string ?? "?")'") }
            return v
        }
    }

    /// The scalar text at `key` without consuming it (nil for a list or mapping), to tell a word
    /// from a list before reading it.
    public func peekString(_ key: String) throws -> String? {
        guard let node = mapping[key], case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    public func strings(_ key: String, default value: [String]) throws -> [String] {
        guard let node = take(key) else { return value }
        guard case .sequence(let seq) = node else { throw ConfigError(key: name(key), "expected a list of strings like [a, b, c]") }
        return try seq.map { n in
            guard case .scalar(let scalar) = n else { throw ConfigError(key: name(key), "expected strings, got a nested list or mapping") }
            return scalar.string
        }
    }

    /// Rejects keys that were never read.
    public func finish() throws {
        let unknown = Set(mapping.keys).subtracting(consumed).sorted()
        if let first = unknown.first {
            throw ConfigError(key: name(first), "unknown key (misspelt? the keys here are documented in Configs/README.md)")
        }
    }

    private func take(_ key: String) -> Node? {
        consumed.insert(key)
        return mapping[key]
    }
}
