#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the readers accumulate besides samples: problems (all of them, not the first), images
/// skipped under the bad-image policy, and rows the data set's own rules leave out.
struct DatasetReadLog {
    let policy: BadImagePolicy
    let checkFiles: Bool
    private(set) var problems: [DatasetError] = []
    private(set) var skipped: [DatasetError] = []
    private(set) var dropped: [String: Int] = [:]

    init(policy: BadImagePolicy, checkFiles: Bool) {
        self.policy = policy
        self.checkFiles = checkFiles
    }

    mutating func report(_ problem: DatasetError) { problems.append(problem) }

    mutating func drop(_ reason: String) { dropped[reason, default: 0] += 1 }

    /// Whether the image named on `file:line` can be used: true without checking when checks are
    /// off; a missing image is a problem under `stop`, a skipped image under `skip`.
    mutating func imageExists(_ image: String, listedIn file: String, line: Int) -> Bool {
        guard checkFiles, access(image, R_OK) != 0 else { return true }
        let missing = DatasetError.missingImage(image: image, listedIn: file, line: line)
        switch policy {
        case .stop: problems.append(missing)
        case .skip: skipped.append(missing)
        }
        return false
    }

    /// A split with no samples is a problem: training or evaluating on nothing is never intended.
    /// Not reported when other problems were found: an empty split is then most likely their
    /// consequence, and would only bury them.
    mutating func requireSamples(_ samples: [DatasetSplit: [Sample]], in splits: [DatasetSplit], source: String) {
        guard problems.isEmpty else { return }
        for split in splits where (samples[split] ?? []).isEmpty {
            problems.append(.emptySplit(split: split, source: source))
        }
    }
}
