/// Which configuration keys a resume may change. Everything that shapes the computation (the
/// model, the data set and its split, the optimiser, the global batch, the seed) must match the
/// checkpoint's; what only says how long, how often, how fast or where must not.
struct ResumeCompatibility {
    /// Keys (or whole sections, ending in `.`) taken from the new command line.
    static let mayChange = [
        "train.epochs", "train.eval_every", "train.threads", "train.loader_threads", "train.prefetch", "train.image_cache_mib",
        "train.on_nonfinite", "train.max_steps_per_epoch", "train.precision",
        "data.root", "data.on_bad_image", "data.check_files",
        "distributed.", "checkpoint.",
    ]

    static func mayChange(_ key: String) -> Bool {
        mayChange.contains { $0.hasSuffix(".") ? key.hasPrefix($0) : key == $0 }
    }

    /// Keys that must match but differ (the error), and keys that may change and did (said on resume).
    let mismatches: [String]
    let changes: [String]

    init(saved: [String: String], current: [String: String]) {
        var mismatches: [String] = [], changes: [String] = []
        for key in Set(saved.keys).union(current.keys).sorted() {
            let was = saved[key], now = current[key]
            guard was != now else { continue }
            let text = "\(key) \(was ?? "(absent)") -> \(now ?? "(absent)")"
            if Self.mayChange(key) { changes.append(text) } else { mismatches.append(text) }
        }
        self.mismatches = mismatches
        self.changes = changes
    }
}
