/// Signs with one scale per block, the block's mean |x| (the scale that makes sign·scale closest
/// to the block in the least-squares sense; the EF-SGD and 1-bit Adam form), sent in one byte
/// (`LogScale`): its rounding is part of what the residual keeps. 1.25 bits per value at blocks
/// of 32, 25.6x fewer bytes than float32; everything else is error feedback's. Blocks of 32 are
/// the default because coarser ones learn slower: measured in docs/DISTRIBUTED.md.
public struct SignBlockCodec: BlockCodec {
    public let blockSize: Int

    public init(blockSize: Int) {
        precondition(blockSize > 0, "block size must be positive")
        self.blockSize = blockSize
    }

    public func blockBytes(_ count: Int) -> Int { 1 + (count + 7) / 8 }

    public func encodeBlock(_ values: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableRawPointer) {
        var total: Float = 0
        for x in values { total += abs(x) }
        let finite = total.isFinite
        let wire = LogScale.encode(finite ? total / Float(values.count) : .nan)
        let scale = LogScale.decode(wire)
        out.storeBytes(of: wire, as: UInt8.self)
        let bits = (out + 1).assumingMemoryBound(to: UInt8.self)
        for byte in 0..<(values.count + 7) / 8 {
            var b: UInt32 = 0
            for k in 0..<min(8, values.count - byte * 8) {
                let i = byte * 8 + k
                // The sign bit is the wire bit (−0 goes as −scale); the residual keeps x ∓ scale.
                let negative = values[i].bitPattern >> 31
                b |= negative << UInt32(k)
                values[i] -= Float(bitPattern: scale.bitPattern | negative << 31)
            }
            bits[byte] = UInt8(truncatingIfNeeded: b)
        }
        if !finite { values.update(repeating: 0) }
    }

    public func addDecodedBlock(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutablePointer<Float>) {
        let scale = LogScale.decode(bytes.load(as: UInt8.self)).bitPattern
        let bits = (bytes + 1).assumingMemoryBound(to: UInt8.self)
        for i in 0..<count {
            let negative = UInt32(bits[i >> 3] >> UInt8(i & 7)) & 1
            into[i] += Float(bitPattern: scale | negative << 31)
        }
    }
}
