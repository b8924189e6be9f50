import DataPipeline
import Foundation

/// Decode + augment throughput of `QuadrupletLoader` on synthetic stand-ins for the paper's two
/// main data sets, to set against what a training step consumes.
///
/// - RAF-DB: a few hundred 100x100 synthetic faces written as JPEGs in RAF-DB's layout to a
///   temporary folder and read back with the RAF-DB reader, so the files are decoded each time.
/// - FERPlus: the same number of 48x48 grey faces held in memory, as the FERPlus reader keeps them.
/// Each goes through its training recipe at the given output size, twice: decoding every image on
/// every use, and as training runs it, from a `PreparedImageCache` that an earlier epoch filled.
struct DataBenchmark {
    struct Result {
        let name: String
        /// Images decoded and augmented (four per quadruplet).
        let images: Int
        let seconds: Double
        /// User + system CPU time of the process over the run.
        let cpuSeconds: Double

        var imagesPerSecond: Double { Double(images) / seconds }
        /// Images per CPU-second: what one fully used core delivers.
        var imagesPerCPUSecond: Double { Double(images) / max(cpuSeconds, 1e-9) }
    }

    /// Images per synthetic set: a few hundred, so a run stays well under a minute on 2 cores.
    let imageCount: Int
    let threads: Int
    let batch: Int
    let outputSize: Int

    func rafdb() throws -> [Result] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("qcs-bench-data-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let synthetic = try SyntheticDataset(options: .init(seed: 1, trainCount: imageCount, testCount: 7, imageSize: 100))
        try synthetic.write(to: root, encoding: .jpeg(quality: 90))
        let samples = try DatasetReader(config: DatasetConfig(kind: .rafdb, root: root.path)).read().samples(.train)
        return try [false, true].map { try measure("RAF-DB (100x100 JPEG files)", samples: samples, recipe: .rafdb, cached: $0) }
    }

    func ferplus() throws -> [Result] {
        let synthetic = try SyntheticDataset(options: .init(seed: 2, trainCount: imageCount, testCount: 1, imageSize: 48))
        let samples = (0..<imageCount).map { i in
            let rgb = synthetic.image(.train, index: i).pixels
            // FER2013 is grey: keep the ITU-R 601 luma, as Pillow's convert("L") does.
            let grey = (0..<(48 * 48)).map { p -> UInt8 in
                let r = 299 * Int(rgb[3 * p]), g = 587 * Int(rgb[3 * p + 1]), b = 114 * Int(rgb[3 * p + 2])
                return UInt8((r + g + b + 500) / 1000)
            }
            return Sample(source: .grey(width: 48, height: 48, pixels: grey, origin: "synthetic:\(i)"),
                          label: synthetic.label(.train, index: i).rawValue)
        }
        return try [false, true].map { try measure("FERPlus (48x48 grey in memory)", samples: samples, recipe: .ferplus, cached: $0) }
    }

    private func measure(_ name: String, samples: [Sample], recipe kind: AugmentationRecipe.Kind, cached: Bool) throws -> Result {
        let recipe = try AugmentationRecipe(kind: kind, options: .init(training: true, outputSize: outputSize))
        let cache = cached ? PreparedImageCache(recipe: recipe, budgetBytes: 512 << 20) : nil
        let sampler = try QuadrupletSampler(labels: samples.map(\.label), classCount: 7, rule: .everyImageOnce, seed: 3,
                                            allowSingletonClasses: true)
        func loader(epoch: Int) throws -> QuadrupletLoader {
            try QuadrupletLoader(samples: samples, recipe: recipe, batches: sampler.plan(epoch: epoch).batches(batchSize: batch),
                                 rank: 0, worldSize: 1, seed: 4, epoch: epoch,
                                 options: LoaderOptions(threads: threads, prefetch: 2),
                                 badImages: BadImageHandler(policy: .stop), imageCache: cache)
        }
        // Warm-up: threads, first-touch of the ring buffers, the page cache for the files; with
        // the cache, a whole epoch, which leaves every image in it.
        let warm = try loader(epoch: 1)
        for _ in 0..<(cached ? warm.batchCount : 2) { _ = try warm.next() }

        let timed = try loader(epoch: 0)
        let cpuStart = cpuSeconds(), start = DispatchTime.now().uptimeNanoseconds
        var images = 0
        while let loaded = try timed.next() { images += 4 * loaded.positions.count }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let label = cached ? "\(name), cached (\(cache!.usage.bytes >> 10) KiB)" : name
        return Result(name: label, images: images, seconds: seconds, cpuSeconds: cpuSeconds() - cpuStart)
    }

    private func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}
