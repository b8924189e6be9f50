/// A lossy wire format for float32 values, cut into blocks of `blockSize` values that each carry
/// one scale: the building block of the error-feedback compressors.
///
/// A block is its scale, then its payload. A chunk of blocks is the blocks one after another,
/// the last possibly short.
public protocol BlockCodec: Sendable {
    var blockSize: Int { get }
    /// Bytes of a block of `count` values, its scale included (count ≤ blockSize).
    func blockBytes(_ count: Int) -> Int
    /// Writes one block of `values` (1…blockSize of them) at `out` and leaves in `values` what
    /// the encoding lost (value − decoded value): the error-feedback residual. A block with a
    /// NaN or an infinity is sent with a NaN scale, so the sum is NaN and the step is refused,
    /// and its residual is zeroed, so it cannot poison later steps.
    func encodeBlock(_ values: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableRawPointer)
    /// Adds the decoded values of the block at `bytes` to `into[0..<count]`.
    func addDecodedBlock(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutablePointer<Float>)
}

extension BlockCodec {
    /// Bytes of `count` values cut into blocks.
    public func chunkBytes(_ count: Int) -> Int {
        let full = count / blockSize, rest = count % blockSize
        return full * blockBytes(blockSize) + (rest > 0 ? blockBytes(rest) : 0)
    }

    /// Encodes `values` block by block at `out` (`chunkBytes(values.count)` bytes), leaving the residual in `values`.
    public func encodeChunk(_ values: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableRawPointer) {
        var offset = 0, at = out
        while offset < values.count {
            let n = min(blockSize, values.count - offset)
            encodeBlock(UnsafeMutableBufferPointer(rebasing: values[offset..<(offset + n)]), into: at)
            at += blockBytes(n)
            offset += n
        }
    }

    /// Adds the decoded chunk at `bytes` (`count` values) to `into`.
    public func addDecodedChunk(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutablePointer<Float>) {
        var offset = 0, at = bytes
        while offset < count {
            let n = min(blockSize, count - offset)
            addDecodedBlock(at, count: n, into: into + offset)
            at += blockBytes(n)
            offset += n
        }
    }
}
