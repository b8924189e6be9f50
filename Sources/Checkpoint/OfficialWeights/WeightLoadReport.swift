/// What loading a weights file did, tensor by tensor, under official names (after renaming:
/// `renamed` says which file keys were spelled differently). Nothing is dropped silently: every
/// key of the file is in exactly one of `loaded`, `shapeMismatches`, `unexpected`,
/// `skippedNeverUsed` and `outOfScope`; every tensor of the model in scope is in `loaded`,
/// `shapeMismatches`, `missing` or `absentCounters`.
public struct WeightLoadReport: Equatable, Sendable, CustomStringConvertible {
    /// A file tensor whose name is ours but whose shape is not. Its values were not written.
    public struct ShapeMismatch: Equatable, Sendable {
        public let name: String
        /// The model's shape.
        public let expected: [Int]
        /// The file's shape.
        public let found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name; self.expected = expected; self.found = found
        }
    }

    /// A file key that is another spelling of official name `name`.
    public struct Rename: Equatable, Sendable {
        public let fileKey: String
        public let name: String
        public let rules: [OfficialNames.RenameRule]

        public init(fileKey: String, name: String, rules: [OfficialNames.RenameRule]) {
            self.fileKey = fileKey; self.name = name; self.rules = rules
        }
    }

    public let path: String
    public let scope: OfficialWeights.Scope
    /// Written into the model (parameters and buffers), in the model's order.
    public internal(set) var loaded: [String] = []
    /// In the model (and in scope) but not in the file: these keep the model's own values.
    public internal(set) var missing: [String] = []
    /// BatchNorm `num_batches_tracked` counters the file leaves out, as files converted from
    /// PyTorch often do (PyTorch loads state dicts without them). They count updates and matter
    /// only to a BatchNorm without momentum; ours have one, so they keep the model's values and the
    /// load is complete.
    public internal(set) var absentCounters: [String] = []
    /// In the file, not in the model, and not a known never-used module.
    public internal(set) var unexpected: [String] = []
    public internal(set) var shapeMismatches: [ShapeMismatch] = []
    /// Tensors of official modules that are declared but never run (`OfficialNames.neverUsedModules`).
    public internal(set) var skippedNeverUsed: [String] = []
    /// Backbone scope only: file tensors outside `ir_back.*`, ignored by request.
    public internal(set) var outOfScope: [String] = []
    public internal(set) var renamed: [Rename] = []

    init(path: String, scope: OfficialWeights.Scope) {
        self.path = path
        self.scope = scope
    }

    /// A load that wrote every one of `names` from `path` (a sharded checkpoint of this very model).
    public static func complete(path: String, names: [String]) -> WeightLoadReport {
        var report = WeightLoadReport(path: path, scope: .wholeModel)
        report.loaded = names
        return report
    }

    /// True when every tensor in scope was loaded and every file key was accounted for.
    /// Loaded tensors over the tensors in scope (loaded, missing or of another shape).
    public var loadedShare: Double {
        let wanted = loaded.count + missing.count + shapeMismatches.count
        return wanted > 0 ? Double(loaded.count) / Double(wanted) : 0
    }

    public var isComplete: Bool { missing.isEmpty && shapeMismatches.isEmpty && unexpected.isEmpty }

    public var description: String { summary(limit: 8) }

    /// A readable summary listing at most `limit` names per category.
    public func summary(limit: Int) -> String {
        func names(_ list: [String]) -> String {
            let shown = list.prefix(limit).joined(separator: ", ")
            return list.count > limit ? "\(shown), … and \(list.count - limit) more" : shown
        }
        let total = loaded.count + missing.count + shapeMismatches.count + absentCounters.count
        var lines = ["\(path) (\(scope.rawValue)): loaded \(loaded.count) of \(total) tensors"]
        if !missing.isEmpty { lines.append("  missing \(missing.count) (model values kept): \(names(missing))") }
        if !absentCounters.isEmpty {
            lines.append("  absent \(absentCounters.count) BatchNorm num_batches_tracked counters (model values kept: they "
                         + "matter only to a BatchNorm without momentum)")
        }
        if !shapeMismatches.isEmpty {
            let shown = shapeMismatches.prefix(limit).map { "\($0.name) model \($0.expected) file \($0.found)" }
            let more = shapeMismatches.count > limit ? ", … and \(shapeMismatches.count - limit) more" : ""
            lines.append("  shape mismatch \(shapeMismatches.count) (not written): \(shown.joined(separator: ", "))\(more)")
        }
        if !unexpected.isEmpty { lines.append("  unexpected \(unexpected.count) (not in the model): \(names(unexpected))") }
        if !skippedNeverUsed.isEmpty {
            lines.append("  skipped \(skippedNeverUsed.count) tensors of official modules that are never run "
                + "(\(OfficialNames.neverUsedModules.joined(separator: ", ")))")
        }
        if !outOfScope.isEmpty {
            lines.append("  ignored \(outOfScope.count) tensors outside \(OfficialNames.backbonePrefix)* (backbone-only load)")
        }
        for rule in OfficialNames.RenameRule.allCases {
            let count = renamed.filter { $0.rules.contains(rule) }.count
            if count > 0 { lines.append("  renamed \(count): \(rule.rawValue)") }
        }
        return lines.joined(separator: "\n")
    }
}
