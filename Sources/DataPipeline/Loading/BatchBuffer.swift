import Autograd

/// One slot of a loader's ring: a single float allocation holding `parts` tensors of up to
/// `capacity` images of `floatsPerImage` each (the four branches of a quadruplet batch, or the
/// images and their flipped copies). Allocated once and written again for every batch that
/// lands in the slot.
final class BatchBuffer: @unchecked Sendable {
    let parts: Int
    let capacity: Int
    let floatsPerImage: Int
    /// Read by workers only while the ring has the slot out for filling; replaced by the consumer
    /// only while it holds the slot (the ring's lock orders the two).
    private(set) var storage: Storage
    /// Base address of `storage`, read by workers without touching the reference count.
    private(set) var base: UnsafeMutablePointer<Float>

    init(parts: Int, capacity: Int, floatsPerImage: Int) {
        self.parts = parts
        self.capacity = capacity
        self.floatsPerImage = floatsPerImage
        storage = Storage(zeros: max(parts * capacity * floatsPerImage, 1))
        base = storage.pointer
    }

    /// Where image `item` of part `part` starts.
    func image(part: Int, item: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer(part: part, item: item), count: floatsPerImage)
    }

    private func pointer(part: Int, item: Int) -> UnsafeMutablePointer<Float> {
        base + (part * capacity + item) * floatsPerImage
    }

    /// Part `part` seen as an [count, …imageShape] tensor sharing the slot's memory.
    func tensor(part: Int, count: Int, imageShape: [Int]) -> Tensor {
        Tensor(shape: [count] + imageShape, storage: storage, offset: part * capacity * floatsPerImage)
    }

    /// Moves the kept items (ascending) to the front of every part, in order.
    func compact(keeping kept: [Int]) {
        for part in 0..<parts {
            for (to, from) in kept.enumerated() where to != from {
                pointer(part: part, item: to).update(from: pointer(part: part, item: from), count: floatsPerImage)
            }
        }
    }

    /// Called by the consumer before the slot goes back to the workers: if the tensors handed out
    /// from it are still alive somewhere (a caller kept a batch past the next `next()`), the slot
    /// takes a fresh allocation instead of overwriting what that caller holds. In the usual loop
    /// the old tensors are gone by then and the memory is reused.
    func prepareForReuse() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Storage(zeros: storage.count)
            base = storage.pointer
        }
    }
}
