import Imaging
import Foundation

/// What to do with an image that is missing or cannot be decoded (`on_bad_image:` in a config).
public enum BadImagePolicy: String, Sendable, CaseIterable {
    /// Leave the image out, count it and list it; the run goes on.
    case skip
    /// Stop with an error naming the image. The default: a data set that changes under the
    /// user's feet makes results that cannot be compared.
    case stop
}

/// Applies a `BadImagePolicy` while images are decoded, from any number of loader threads, and
/// keeps the list of what it skipped.
public final class BadImageHandler: @unchecked Sendable {
    public let policy: BadImagePolicy
    private let lock = NSLock()
    private var skippedImages: [DatasetError] = []
    /// Each image once, however many quadruplets and epochs it turns up in.
    private var skippedNames: Set<String> = []

    public init(policy: BadImagePolicy) {
        self.policy = policy
    }

    /// The sample's image; nil when it cannot be read and the policy is `skip` (it is then
    /// recorded). Under `stop` the codec's error, which names the file, is thrown.
    public func load(_ sample: Sample, decoder: ImageDecoder = ImageDecoder()) throws -> RGBImage? {
        do {
            return try sample.source.load(with: decoder)
        } catch {
            guard policy == .skip else { throw error }
            let name = sample.source.description
            lock.lock()
            if skippedNames.insert(name).inserted {
                skippedImages.append(.unreadableImage(image: name, reason: (error as? ImageCodecError)?.problem ?? "\(error)"))
            }
            lock.unlock()
            return nil
        }
    }

    /// The images skipped so far, each once, in the order they were first met.
    public var skipped: [DatasetError] {
        lock.lock()
        defer { lock.unlock() }
        return skippedImages
    }
}
