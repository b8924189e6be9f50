import Foundation
import Yams

/// A problem in a configuration file, always naming the key and saying what is allowed.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The dotted key, or the file's path when the problem is the file itself.
    public let key: String
    public let message: String
    /// The file as a whole (missing, not text, not YAML), not one key of it.
    public let isFile: Bool
    public init(key: String, _ message: String) { self.key = key; self.message = message; isFile = false }
    public init(file: String, _ message: String) { key = file; self.message = message; isFile = true }
    public var description: String { isFile ? "config file \(key): \(message)" : "config key '\(key)': \(message)" }

    /// The same error saying that the command line gave the value, when `overrides` (the command
    /// line's dotted key → value) gave this key; nil otherwise.
    public func citingCommandLine(_ overrides: [String: String]) -> ConfigError? {
        guard !isFile, let value = overrides[key] else { return nil }
        return ConfigError(key: key, "\(message) (from the command line: \(key)=\(value))")
    }
}

/// One mapping of a YAML configuration, read field by field. Every key must be consumed:
/// `finish()` rejects the ones nobody asked for, so a typo is an error, not a silent default.
///
/// Every value a section hands out (the file's, an override's or the default) is also written
/// into `resolved`, shared by a file's sections: the whole configuration a run used, key by key.
public final class ConfigSection {
    public let path: String
    private let mapping: [String: Node]
    private var consumed: Set<String> = []
    public let resolved: ResolvedKeys

    public init(node: Node?, path: String, resolved: ResolvedKeys = ResolvedKeys()) throws {
        self.path = path
        self.resolved = resolved
        guard let node else { mapping = [:]; return }
        guard case .mapping(let m) = node else { throw ConfigError(key: path, "expected a mapping of key: value") }
        var dict: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { throw ConfigError(key: path, "keys must be strings") }
            dict[key] = v
        }
        mapping = dict
    }

    /// The text of the config file at `path`, or an error that says which of the usual mistakes
    /// it is (missing, a folder, unreadable, not text).
    public static func readText(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, "no such file (the shipped configs are in Configs/)")
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(file: path, "is a folder; give one config file in it, such as \(path)/synthetic.yaml")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, "cannot be read (permissions?)")
        }
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, "is not a text file: a config is YAML text (see Configs/README.md)")
        }
        return text
    }

    /// Parses YAML text into its top-level section. `overrides` (dotted key → scalar value, as
    /// from a command line) replace or add single values; `finish()` of the top section rejects
    /// an override nobody read, as it rejects an unknown key in the file.
    public static func parse(yaml text: String, source: String, overrides: [String: String] = [:]) throws -> ConfigSection {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(file: source, "not valid YAML: \(error)")
        }
        if let node, node.mapping == nil {
            throw ConfigError(file: source, "the top level must be sections of key: value (model:, data:, optim:, train:), "
                              + "not \(describe(node))")
        }
        let resolved = ResolvedKeys()
        for (key, value) in overrides { resolved.overrides[key] = overrideNode(value) }
        return try ConfigSection(node: node, path: "", resolved: resolved)
    }

    /// A command-line value read as YAML would read it after `key: `, so `1e-5`, `[8, 16, 32]` and
    /// `true` mean what they mean in a file; text YAML cannot read stays the text it is.
    static func overrideNode(_ value: String) -> Node {
        guard let node = try? Yams.compose(yaml: value) else { return Node(value) }
        if case .mapping = node { return Node(value) }
        return node
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool { mapping[key] != nil || resolved.overrides[name(key)] != nil }

    public func section(_ key: String) throws -> ConfigSection {
        consumed.insert(key)
        return try ConfigSection(node: mapping[key], path: name(key), resolved: resolved)
    }

    /// A value as a message shows it: a quoted number says that its quotes make it text.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
                return "the quoted text \"\(scalar.string)\" (quotes make a value text: write it without them)"
            }
            return "'\(scalar.string)'"
        }
    }

    public func int(_ key: String, default value: Int) throws -> Int {
        guard let node = take(key) else { return note(key, value) }
        guard let v = node.int else { throw ConfigError(key: name(key), "expected an integer, got \(Self.describe(node))") }
        return note(key, v)
    }

    /// A finite number: YAML's `.inf` and `.nan` are numbers to it, never a learning rate or a radius.
    public func double(_ key: String, default value: Double) throws -> Double {
        guard let node = take(key) else { return note(key, value) }
        guard let v = node.float else { throw ConfigError(key: name(key), "expected a number, got \(Self.describe(node))") }
        guard v.isFinite else { throw ConfigError(key: name(key), "expected a finite number, got \(Self.describe(node))") }
        return note(key, v)
    }

    public func string(_ key: String, default value: String) throws -> String {
        guard let node = take(key) else { return note(key, value) }
        guard let v = node.string else { throw ConfigError(key: name(key), "expected a string, got \(Self.describe(node))") }
        return note(key, v)
    }

    /// A number a float32 field holds: finite as a Float too (1e39 is a Double, not a Float).
    public func float(_ key: String, default value: Float) throws -> Float {
        let v = try double(key, default: Double(value))
        guard abs(v) <= Double(Float.greatestFiniteMagnitude) else {
            throw ConfigError(key: name(key), "is \(v), beyond the largest float32 (3.4e38)")
        }
        return Float(v)
    }

    /// A key whose value is one of `choices` (`default` nil: the key must be given). An unknown or
    /// missing word lists them: "unknown optimizer 'lamb'; choose one of adam, adamw, sgd".
    public func word(_ key: String, default value: String?, among choices: [String], _ what: String) throws -> String {
        let given = take(key)
        guard let node = given ?? value.map({ Node($0) }) else {
            throw ConfigError(key: name(key), "missing; choose one of \(choices.joined(separator: ", "))")
        }
        guard let word = node.string, choices.contains(word) else {
            throw ConfigError(key: name(key), "unknown \(what) \(Self.describe(node)); choose one of \(choices.joined(separator: ", "))")
        }
        return note(key, word)
    }

    /// `word` for the cases of an enumeration, by their raw values.
    public func choice<Choice>(_ key: String, default value: Choice, _ what: String) throws -> Choice
        where Choice: RawRepresentable & CaseIterable, Choice.RawValue == String {
        Choice(rawValue: try word(key, default: value.rawValue, among: Choice.allCases.map(\.rawValue), what))!
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let node = take(key) else { return note(key, value) }
        guard let v = node.bool else { throw ConfigError(key: name(key), "expected true or false, got \(Self.describe(node))") }
        return note(key, v)
    }

    public func ints(_ key: String, default value: [Int]) throws -> [Int] {
        guard let node = take(key) else { return note(key, value) }
        guard case .sequence(let seq) = node else { throw ConfigError(key: name(key), "expected a list of integers like [1, 2, 3]") }
        return note(key, try seq.map { n in
            guard let v = n.int else { throw ConfigError(key: name(key), "expected integers, got '\(n.string ?? "?")'") }
            return v
        })
    }

    public func doubles(_ key: String, default value: [Double]) throws -> [Double] {
        guard let node = take(key) else { return note(key, value) }
        guard case .sequence(let seq) = node else { throw ConfigError(key: name(key), "expected a list of numbers like [1, 2.5]") }
        return note(key, try seq.map { n in
            guard let v = n.float else { throw ConfigError(key: name(key), "expected numbers, got '\(n.string ?? "?")'") }
            guard v.isFinite else { throw ConfigError(key: name(key), "expected finite numbers, got '\(n.string ?? "?")'") }
            return v
        })
    }

    /// The scalar text at `key` without consuming it (nil for a list or mapping), to tell a word
    /// from a list before reading it.
    public func peekString(_ key: String) throws -> String? {
        guard let node = resolved.overrides[name(key)] ?? mapping[key], case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    public func strings(_ key: String, default value: [String]) throws -> [String] {
        guard let node = take(key) else { return note(key, value) }
        guard case .sequence(let seq) = node else { throw ConfigError(key: name(key), "expected a list of strings like [a, b, c]") }
        return note(key, try seq.map { n in
            guard case .scalar(let scalar) = n else { throw ConfigError(key: name(key), "expected strings, got a nested list or mapping") }
            return scalar.string
        })
    }

    /// Rejects keys that were never read (at the top section, also overrides nobody read).
    public func finish() throws {
        let unknown = Set(mapping.keys).subtracting(consumed).map(name)
            + (path.isEmpty ? resolved.overrides.keys.filter { resolved.values[$0] == nil } : [])
        if let first = unknown.sorted().first {
            throw ConfigError(key: first, "unknown key (misspelt? the keys here are documented in Configs/README.md)")
        }
    }

    /// Records the value a key resolved to without reading it here (a key whose absence means
    /// something, such as a default that is not one of the key's spellings).
    @discardableResult
    public func note<Value>(_ key: String, _ value: Value) -> Value {
        resolved.values[name(key)] = Self.render(value)
        return value
    }

    private static func render(_ value: Any) -> String {
        switch value {
        case let list as [Any]: "[" + list.map(render).joined(separator: ", ") + "]"
        case let text as String: text
        // A Float field's default reaches here widened to Double: print it as the Float it is.
        case let number as Double where Double(Float(number)) == number: "\(Float(number))"
        default: "\(value)"
        }
    }

    private func take(_ key: String) -> Node? {
        consumed.insert(key)
        return resolved.overrides[name(key)] ?? mapping[key]
    }
}

/// The keys of one configuration as a run resolved them (dotted names such as `optim.lr`, values
/// as text), and the command line's overrides of single keys.
public final class ResolvedKeys {
    public internal(set) var values: [String: String] = [:]
    var overrides: [String: Node] = [:]
    public init() {}
}
