import Imaging
import Foundation

extension LabeledDataset {
    /// `unreadableImages(in:decoder:)` on all cores, in chunks, calling `progress(done, total)`
    /// after each chunk (for a progress line on a check that reads gigabytes). Problems come back
    /// in data set order whatever the thread timing.
    public func unreadableImages(in splits: [DatasetSplit], decoder: ImageDecoder = ImageDecoder(), chunk: Int = 256,
                                 progress: (_ done: Int, _ total: Int) -> Void) -> [DatasetError] {
        let all = splits.flatMap { samples($0) }
        var problems: [DatasetError] = []
        let step = max(chunk, 1)
        for start in stride(from: 0, to: all.count, by: step) {
            let part = Array(all[start..<min(start + step, all.count)])
            var found = [DatasetError?](repeating: nil, count: part.count)
            found.withUnsafeMutableBufferPointer { out in
                guard let base = out.baseAddress else { return }
                DispatchQueue.concurrentPerform(iterations: part.count) { i in
                    do { _ = try part[i].source.load(with: decoder) } catch {
                        base[i] = .unreadableImage(image: part[i].source.description,
                                                   reason: (error as? ImageCodecError)?.problem ?? "\(error)")
                    }
                }
            }
            problems += found.compactMap { $0 }
            progress(min(start + step, all.count), all.count)
        }
        return problems
    }
}
