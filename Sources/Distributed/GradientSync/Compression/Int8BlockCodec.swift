/// int8 values with one float32 scale per block, max|x|/127: each value is off by at most half a
/// step, max|x|/254. 8.125 bits per value at blocks of 256, 3.94x fewer bytes than float32.
public struct Int8BlockCodec: BlockCodec {
    public let blockSize: Int

    public init(blockSize: Int) {
        precondition(blockSize > 0, "block size must be positive")
        self.blockSize = blockSize
    }

    public func blockBytes(_ count: Int) -> Int { 4 + count }

    public func encodeBlock(_ values: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableRawPointer) {
        var largest: Float = 0, nan = false
        for x in values {
            largest = max(largest, abs(x))
            nan = nan || x.isNaN  // max() drops NaN
        }
        let finite = largest.isFinite && !nan
        let scale: Float = finite ? largest / 127 : .nan
        out.storeBytes(of: scale.bitPattern, as: UInt32.self)
        let q = (out + 4).assumingMemoryBound(to: Int8.self)
        guard finite && scale > 0 else {
            for i in values.indices { q[i] = 0 }
            if !finite { values.update(repeating: 0) }
            return
        }
        // Rounding by adding and taking away 1.5·2²³ (exact for |x| ≤ 2²²: here ≤ 127), nearest
        // with ties to even as the FPU rounds, and without a call per value where the CPU
        // baseline has no rounding instruction.
        let inverse = 1 / scale, magic: Float = 12_582_912
        for i in values.indices {
            let level = min(max((values[i] * inverse + magic) - magic, -127), 127)
            q[i] = Int8(truncatingIfNeeded: Int32(level))
            values[i] -= level * scale
        }
    }

    public func addDecodedBlock(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutablePointer<Float>) {
        let scale = Float(bitPattern: bytes.loadUnaligned(as: UInt32.self))
        let q = (bytes + 4).assumingMemoryBound(to: Int8.self)
        for i in 0..<count { into[i] += Float(q[i]) * scale }
    }
}
