import Imaging
import ArgumentParser
import DataPipeline
import Foundation

extension QCSCommand {
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw the synthetic facial-expression data set (RAF-DB layout, JPEG) and/or a contact sheet.",
            discussion: """
            Faces with varying identity, pose, light, occlusion and noise, in RAF-DB's seven \
            expressions. Each image is a function of (seed, split, index) only, so the same options \
            always give the same files. The output folder is laid out like RAF-DB basic:
              DIR/basic/EmoLabel/list_patition_label.txt
              DIR/basic/Image/aligned/train_00001_aligned.jpg …
            so Configs/synthetic.yaml (kind: rafdb) reads it; point it there with --data-root DIR.

            Examples:
              qcs synth --out data/synthetic
              qcs synth --out /tmp/tiny --count 140 --test-count 35 --sheet /tmp/tiny/sheet.png
              qcs synth --sheet faces.png          (only the picture, no data set)
            """)

        enum ClassBalance: String, ExpressibleByArgument, CaseIterable {
            /// Every expression equally often.
            case uniform
            /// RAF-DB's training frequencies (Happiness 39 %, Fear 2.3 %).
            case rafdb
        }

        @Option(help: ArgumentHelp("Write the data set into this folder.", valueName: "dir"))
        var out: String?

        @Option(help: "Training images.")
        var count = 2800

        @Option(help: "Test images.")
        var testCount = 700

        @Option(help: "Seed: another seed draws other faces.")
        var seed: UInt64 = 0

        @Option(help: "Side of the square images in pixels (RAF-DB's aligned faces are 100).")
        var size = 100

        @Option(help: "Class frequencies: uniform, or rafdb (RAF-DB's imbalance: Happiness 39 %, Fear 2.3 %).")
        var classBalance = ClassBalance.uniform

        @Option(help: ArgumentHelp("Also write a contact sheet PNG: one row per expression.", valueName: "file.png"))
        var sheet: String?

        @Option(help: "Faces per row of the contact sheet.")
        var sheetColumns = 8

        @Flag(help: "Write into --out even if it is not empty (files of the same names are replaced).")
        var force = false

        func validate() throws {
            guard out != nil || sheet != nil else {
                throw ValidationError("nothing to do: give --out DIR (the data set), --sheet FILE.png, or both")
            }
            guard count >= 0, testCount >= 0, count + testCount > 0 else {
                throw ValidationError("--count and --test-count must not be negative, and not both 0")
            }
            guard (16...1024).contains(size) else { throw ValidationError("--size must be in 16…1024, got \(size)") }
            guard sheetColumns >= 1 else { throw ValidationError("--sheet-columns must be at least 1") }
            if let out, !force, Self.isNonEmptyDirectory(out) {
                throw ValidationError("\(out) is not empty; choose another folder or add --force to write into it")
            }
        }

        func run() throws {
            let proportions = classBalance == .rafdb ? SyntheticDataset.Options.rafdbProportions
                : [Double](repeating: 1, count: Expression.allCases.count)
            let dataset = try SyntheticDataset(options: .init(seed: seed, trainCount: count, testCount: testCount,
                                                              imageSize: size, classProportions: proportions))
            if let out {
                let progress = ProgressLine("synth", total: count + testCount)
                try dataset.write(to: URL(fileURLWithPath: out), fileExtension: "jpg") { image in
                    defer { progress.advance() }
                    return try ImageEncoder.encode(image, as: .jpeg(quality: 95))
                }
                progress.finish()
                print("wrote \(count) training and \(testCount) test images (\(size)x\(size) JPEG) to \(out)")
                print("read it with: --config Configs/synthetic.yaml --data-root \(out)")
            }
            if let sheet {
                let split: SyntheticDataset.Split = count > 0 ? .train : .test
                let image = ContactSheet.make(dataset, split: split, perClass: sheetColumns)
                try ImageEncoder.write(image, to: sheet, as: .png)
                print("wrote a contact sheet (\(split.rawValue) split, rows: "
                      + Expression.allCases.map(\.description).joined(separator: ", ") + ") to \(sheet)")
            }
        }

        static func isNonEmptyDirectory(_ path: String) -> Bool {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
            return !entries.isEmpty
        }
    }
}
