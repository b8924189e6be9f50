import Imaging
import ArgumentParser
import Autograd
import DataPipeline
import Distributed
import Foundation
import Inference
import Reports
import Trainer

extension QCSCommand {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a trained model on a split of its data set: accuracy, per-class figures, confusion matrix.",
            discussion: """
            Prints accuracy, mean class accuracy (the mean of per-class recalls, over the classes \
            present), per-class precision, recall and F1, and the confusion matrix (rows: true \
            class, columns: predicted). Writes OUT/confusion.csv and OUT/confusion.png (a heat \
            map coloured by each row's shares).

            Distributed: under mpirun (or srun), each rank evaluates a contiguous slice of the \
            split and the confusion matrices are summed; rank 0 prints and writes. Without a \
            launcher, qcs eval runs as one process and does not start MPI at all.
              scripts/mpirun -np 2 qcs eval --config C --checkpoint runs/demo

            Exit status: 0 done, 1 the model, data set or an image could not be read \
            (`on_bad_image: skip` in the config leaves unreadable images out instead).
            """)

        enum SplitChoice: String, ExpressibleByArgument, CaseIterable {
            case train, validation, test
            var split: DatasetSplit { DatasetSplit(rawValue: rawValue) ?? .test }
        }

        @OptionGroup var configOptions: ConfigOptions
        @OptionGroup var weightsOptions: WeightsOptions
        @OptionGroup var precisionOption: PrecisionOption

        @Option(help: "The split to evaluate.")
        var split = SplitChoice.test

        @Flag(help: "Flip test-time augmentation: average the softmax of each image and its mirror image.")
        var flipTTA = false

        @Option(help: ArgumentHelp("Folder for confusion.csv and confusion.png (created if needed).", valueName: "dir"))
        var out = "."

        @Option(help: "Images per forward pass.")
        var batch = 32

        @Option(help: "Compute threads per rank (default: the cores shared out over the ranks).")
        var threads: Int?

        func validate() throws {
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
            try ThreadCount.validate(threads)
        }

        func run() throws {
            let world = try ProcessWorld()
            let config = try configOptions.load()
            let dataset = try DatasetReader(config: config.data).read()
            let samples = dataset.samples(split.split)
            let source = "\(config.data.kind.rawValue) data set at \(config.data.root)"
            guard !samples.isEmpty else { throw RunError.emptySplit(split: split.rawValue, dataset: source) }

            // Before the evaluation, not after it: a folder that cannot take the results should not
            // cost the whole run.
            if world.isLeader { try Self.checkWritable(out) }
            let compute = ComputePool(threads: threads ?? ComputePool.defaultThreadCount(ranksOnNode: world.communicator.localSize),
                                      options: try EngineEnvironment.options())
            let precision = precisionOption.resolved(config)
            if world.isLeader { PrecisionOption.announce(precision) }
            let model = try weightsOptions.model(config, compute: compute, precision: precision)
            let input = try TestTimeInput(dataset: config.data.kind, imageSize: config.model.imageSize)
            let badImages = BadImageHandler(policy: config.data.onBadImage)
            var evaluation = SplitEvaluation(samples: samples, recipe: input.recipe, classes: config.model.numClasses,
                                             options: LoaderOptions(threads: compute.threads), badImages: badImages)
            evaluation.batchSize = batch
            evaluation.flipTTA = flipTTA
            let mine = GlobalBatch.rankRange(count: samples.count, rank: world.rank, worldSize: world.size)
            let progress = ProgressLine("eval \(split.rawValue)\(world.size > 1 ? " (rank 0's share)" : "")",
                                        total: mine.count, enabled: world.isLeader)
            let local = try evaluation.confusion(rank: world.rank, worldSize: world.size, logits: model.logits) {
                progress.update(to: $0)
            }
            progress.finish()
            let skipped = badImages.skipped
            if !skipped.isEmpty {
                StandardError.print("rank \(world.rank): left out \(skipped.count) unreadable images:\n"
                                    + skipped.map { "  \($0)" }.joined(separator: "\n"))
            }
            let classes = config.model.numClasses
            let summed = try world.sum(local.flatFloats + [Float(skipped.count)])
            guard let confusion = ConfusionMatrix(classes: classes, flat: Array(summed.prefix(classes * classes))) else {
                throw ValidationError("internal: the summed confusion matrix is not whole counts")
            }
            if world.isLeader {
                let names = ConfigOptions.classNames(config)
                print("eval: \(split.rawValue) split of the \(source), \(confusion.total) images"
                      + "\(summed.last.map { $0 > 0 ? " (\(Int($0)) unreadable left out)" : "" } ?? ""), "
                      + "flip TTA \(flipTTA ? "on" : "off"), \(precision.rawValue), \(world.size) rank\(world.size == 1 ? "" : "s")")
                print(EvaluationReport(metrics: ClassificationMetrics(confusion: confusion), classNames: names).text)
                try write(confusion, names: names)
            }
            try world.finish()
        }

        /// Creates `out` if needed and makes sure a file can be written in it.
        static func checkWritable(_ out: String) throws {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw ValidationError("--out \(out) is a file; give a folder for confusion.csv and confusion.png")
            }
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw ValidationError("--out \(out): cannot create the folder (\(error.localizedDescription)); give one you may write")
            }
            let probe = (out as NSString).appendingPathComponent(".qcs-eval-\(getpid()).tmp")
            guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
                throw ValidationError("--out \(out): cannot write files in it (permissions? a read-only file system?); "
                                      + "give a folder you may write")
            }
            try? FileManager.default.removeItem(atPath: probe)
        }

        private func write(_ confusion: ConfusionMatrix, names: [String]) throws {
            let directory = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let csv = directory.appendingPathComponent("confusion.csv")
            try Data(confusion.csv(classNames: names).utf8).write(to: csv, options: .atomic)
            let png = directory.appendingPathComponent("confusion.png")
            try ImageEncoder.write(ConfusionHeatMap(matrix: confusion, classNames: names).render(), to: png.path, as: .png)
            print("wrote \(csv.path) and \(png.path)")
        }
    }
}
