/// Byte buffers reused from bucket to bucket: grown when a bucket needs more, never shrunk.
final class ByteScratch {
    private var slots: [UnsafeMutableBufferPointer<UInt8>] = []

    /// Slot `slot`'s first `count` bytes (their contents are whatever was left there).
    func buffer(_ slot: Int, count: Int) -> UnsafeMutableBufferPointer<UInt8> {
        while slots.count <= slot { slots.append(.allocate(capacity: 0)) }
        if slots[slot].count < count {
            slots[slot].deallocate()
            slots[slot] = .allocate(capacity: count)
        }
        return UnsafeMutableBufferPointer(rebasing: slots[slot][0..<count])
    }

    deinit { for s in slots { s.deallocate() } }
}
