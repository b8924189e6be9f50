import ArgumentParser
import DataPipeline
import Foundation
import Trainer

extension QCSCommand.DataCommand {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a whole data set as the trainer would, decoding every image, and list every problem.",
            discussion: """
            Prints the images per class and split, then every problem as FILE:LINE: what is wrong \
            (malformed list lines, unknown labels, missing, empty or corrupt images…), all of them \
            in one go. Missing images are problems here even under `on_bad_image: skip`.

            Exit status: 0 no problem, 1 problems found (or the config cannot be read), 64 bad usage.
            """)

        enum SplitChoice: String, ExpressibleByArgument, CaseIterable {
            case train, validation, test, all

            var splits: [DatasetSplit] {
                switch self {
                case .train: return [.train]
                case .validation: return [.validation]
                case .test: return [.test]
                case .all: return DatasetSplit.allCases
                }
            }
        }

        @OptionGroup var configOptions: ConfigOptions

        @Option(help: "Which split's images to decode (all counts are always printed).")
        var split = SplitChoice.all

        func run() throws {
            var config = try configOptions.load()
            config.data.onBadImage = .stop
            // Listing problems do not stop the check: the images that are there are decoded too, so
            // one run shows every problem.
            let (dataset, listing) = try DatasetReader(config: config.data).readAll()
            let splits = split.splits.filter { !dataset.samples($0).isEmpty }
            print("\(config.data.kind.rawValue) data set at \(config.data.root): \(dataset.classNames.count) classes")
            print(Self.countTable(dataset, splits: DatasetSplit.allCases.filter { !dataset.samples($0).isEmpty }))
            for (reason, count) in dataset.dropped.sorted(by: { $0.key < $1.key }) {
                print("left out by the data set's rules: \(count) rows (\(reason))")
            }
            if split != .all, splits.isEmpty, listing.isEmpty {
                print("the data set has no \(split.rawValue) split: nothing to decode")
                return
            }
            let total = splits.reduce(0) { $0 + dataset.samples($1).count }
            let progress = ProgressLine("decoding \(splits.map(\.rawValue).joined(separator: "+"))", total: total)
            let unreadable = dataset.unreadableImages(in: splits) { done, _ in progress.update(to: done) }
            progress.finish()
            let problems = listing + unreadable
            guard problems.isEmpty else {
                print(DatasetProblems(dataset: "\(config.data.kind.rawValue) data set at \(config.data.root)",
                                      problems: problems).report(limit: nil))
                throw ExitCode.failure
            }
            print("all \(total) images of the \(splits.map(\.rawValue).joined(separator: " and ")) "
                  + "split\(splits.count == 1 ? "" : "s") decode: no problems")
        }

        /// One row per class, one column per split, with totals.
        static func countTable(_ dataset: LabeledDataset, splits: [DatasetSplit]) -> String {
            let nameWidth = max(5, dataset.classNames.map(\.count).max() ?? 0) + 2
            let columnWidth = max(10, splits.map { String(dataset.samples($0).count).count + 2 }.max() ?? 0)
            func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
                let fill = String(repeating: " ", count: max(0, w - s.count))
                return left ? s + fill : fill + s
            }
            var lines = [pad("class", nameWidth, left: true) + splits.map { pad($0.rawValue, columnWidth) }.joined()]
            let counts = splits.map { dataset.classCounts($0) }
            for (label, name) in dataset.classNames.enumerated() {
                lines.append(pad(name, nameWidth, left: true) + counts.map { pad(String($0[label]), columnWidth) }.joined())
            }
            lines.append(pad("total", nameWidth, left: true)
                         + splits.map { pad(String(dataset.samples($0).count), columnWidth) }.joined())
            return lines.joined(separator: "\n")
        }
    }
}
