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
        var largest: Float = 0
        for x in values { largest = max(largest, abs(x)) }
        // max() drops NaN: look for it separately.
        let finite = largest.isFinite && !values.contains { $0.isNaN }
        let scale: Float = finite ? largest / 127 : .nan
        out.storeBytes(of: scale.bitPattern, as: UInt32.self)
        let q = (out + 4).assumingMemoryBound(to: Int8.self)
        guard finite && scale > 0 else {
            for i in values.indices { q[i] = 0 }
            if !finite { values.update(repeating: 0) }
            return
        }
        let inverse = 1 / scale
        for i in values.indices {
            let level = min(max((values[i] * inverse).rounded(.toNearestOrEven), -127), 127)
            q[i] = Int8(level)
            values[i] -= level * scale
        }
    }

    public func addDecodedBlock(_ bytes: UnsafeRawPointer, count: Int, into: UnsafeMutablePointer<Float>) {
        let scale = Float(bitPattern: bytes.loadUnaligned(as: UInt32.self))
        let q = (bytes + 4).assumingMemoryBound(to: Int8.self)
        for i in 0..<count { into[i] += Float(q[i]) * scale }
    }
}
