import Foundation
import Imaging

/// Training images as the recipe's fixed leading steps leave them (`AugmentationRecipe.prepared`),
/// kept across epochs within a memory budget, so that an image file is decoded and resized once
/// per run instead of once per use. The random steps still run on every use, from the same
/// generator, so a batch is bit for bit what it is without the cache.
///
/// Per image it keeps the smaller of the prepared image and the decoded one (a recipe that
/// enlarges, RAF-DB's 100x100 faces resized to 224, keeps the decoded image and resizes on each
/// use); an image already in memory (FERPlus's grey rows) is kept only as a prepared image no
/// larger than its decoded form. Once the budget is full, further images are simply not kept: the
/// first images met stay, nothing is evicted. Safe to share between loader threads and epochs;
/// one cache serves one recipe.
public final class PreparedImageCache: @unchecked Sendable {
    public let recipe: AugmentationRecipe
    public let budgetBytes: Int
    private let lock = NSLock()
    private var entries: [Int: Entry] = [:]
    private var used = 0
    /// Images that did not fit, each counted once.
    private var refused: Set<Int> = []

    private enum Entry {
        case prepared(RGBImage)
        case decoded(RGBImage)
    }

    public init(recipe: AugmentationRecipe, budgetBytes: Int) {
        precondition(budgetBytes >= 0, "image cache budget \(budgetBytes) bytes")
        self.recipe = recipe
        self.budgetBytes = budgetBytes
    }

    /// What the cache holds now.
    public var usage: (images: Int, bytes: Int, notKept: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (entries.count, used, refused.count)
    }

    /// Sample `index` after the recipe's fixed steps: from the cache, or from `load` (nil: an
    /// image the bad-image policy skips, never kept) and then kept if it fits.
    func prepared(_ index: Int, source: ImageSource, load: () throws -> RGBImage?) rethrows -> RGBImage? {
        lock.lock()
        let entry = entries[index]
        lock.unlock()
        switch entry {
        case .prepared(let image): return image
        case .decoded(let image): return recipe.prepared(image)
        case nil: break
        }
        guard let decoded = try load() else { return nil }
        let prepared = recipe.prepared(decoded)
        let keep: Entry?
        if recipe.fixedStepCount > 0, prepared.pixels.count <= decoded.pixels.count {
            keep = .prepared(prepared)
        } else if case .file = source {
            keep = .decoded(decoded)
        } else {
            keep = nil
        }
        if let keep { store(keep, at: index) }
        return prepared
    }

    private func store(_ entry: Entry, at index: Int) {
        let bytes: Int
        switch entry {
        case .prepared(let image), .decoded(let image): bytes = image.pixels.count
        }
        lock.lock()
        defer { lock.unlock() }
        guard entries[index] == nil else { return }  // another thread kept it first
        guard used + bytes <= budgetBytes else {
            refused.insert(index)
            return
        }
        entries[index] = entry
        used += bytes
    }
}
