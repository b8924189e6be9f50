/// Which complete checkpoints a run keeps: the newest `keep`, the one just written, and under
/// `keepBest` the one whose weights had the highest test accuracy (the newest of equals).
struct CheckpointRetention {
    let keep: Int
    let keepBest: Bool

    /// `checkpoints`: directory names with the test accuracy of their weights when evaluated.
    func doomed(_ checkpoints: [(name: String, testAccuracy: Double?)], current: String) -> [String] {
        let newestFirst = checkpoints.sorted { $0.name > $1.name }
        var kept = Set(newestFirst.prefix(keep).map(\.name))
        kept.insert(current)
        if keepBest, let best = newestFirst.filter({ $0.testAccuracy != nil })
            .max(by: { $0.testAccuracy! < $1.testAccuracy! || ($0.testAccuracy! == $1.testAccuracy! && $0.name < $1.name) }) {
            kept.insert(best.name)
        }
        return newestFirst.map(\.name).filter { !kept.contains($0) }
    }
}
