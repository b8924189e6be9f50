import Imaging
import DataPipeline
import Foundation

/// Runs a model over images given by path, in batches: decoding in parallel, one forward per
/// batch. An image that cannot be read does not stop the others; it comes back as `.unreadable`.
public struct Predictor {
    /// One image's result, in the order the images were given.
    public enum Outcome {
        case predicted(Prediction)
        /// The decoder's message, which names the file.
        case unreadable(image: String, reason: String)
    }

    public let model: InferenceModel
    public let input: TestTimeInput
    public var batchSize: Int
    /// Average the softmax of each image and of its mirror image.
    public var flipTTA: Bool
    public var decoder: ImageDecoder

    public init(model: InferenceModel, input: TestTimeInput, batchSize: Int = 16, flipTTA: Bool = false,
                decoder: ImageDecoder = ImageDecoder()) {
        self.model = model
        self.input = input
        self.batchSize = max(batchSize, 1)
        self.flipTTA = flipTTA
        self.decoder = decoder
    }

    /// Predictions for `sources` (paths or in-memory images), `names` naming them in results.
    /// `progress` is called with the number of images done after each batch.
    public func predict(_ sources: [ImageSource], progress: (Int) -> Void = { _ in }) -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(sources.count)
        for start in stride(from: 0, to: sources.count, by: batchSize) {
            let chunk = Array(sources[start..<min(start + batchSize, sources.count)])
            let decoded = decodeAll(chunk)
            let images = decoded.compactMap { try? $0.get() }
            var predictions = scores(images).makeIterator()
            for (source, result) in zip(chunk, decoded) {
                switch result {
                case .success:
                    if let next = predictions.next() {
                        outcomes.append(.predicted(Prediction(image: source.description, logits: next.logits,
                                                              probabilities: next.probabilities)))
                    }
                case .failure(let error):
                    outcomes.append(.unreadable(image: source.description,
                                                reason: (error as? ImageCodecError)?.description ?? "\(source): \(error)"))
                }
            }
            progress(min(start + batchSize, sources.count))
        }
        return outcomes
    }

    /// Logits and probabilities of decoded images, in order. With flip TTA the logits are
    /// those of the unflipped image and the probabilities the mean of both softmaxes.
    public func scores(_ images: [RGBImage]) -> [(logits: [Float], probabilities: [Double])] {
        guard !images.isEmpty else { return [] }
        let logits = model.logits(input.batch(images))
        guard flipTTA else { return logits.map { ($0, Prediction.softmax($0)) } }
        let mirrored = model.logits(input.batch(images, mirrored: true))
        return zip(logits, mirrored).map { a, b in
            (a, zip(Prediction.softmax(a), Prediction.softmax(b)).map { ($0 + $1) / 2 })
        }
    }

    /// Decodes on all cores; each result is the image or the decoder's error.
    func decodeAll(_ sources: [ImageSource]) -> [Result<RGBImage, Error>] {
        var results = [Result<RGBImage, Error>](repeating: .failure(CancellationError()), count: sources.count)
        guard !sources.isEmpty else { return results }
        let decoder = self.decoder
        results.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            DispatchQueue.concurrentPerform(iterations: sources.count) { i in
                base[i] = Result { try sources[i].load(with: decoder) }
            }
        }
        return results
    }
}
