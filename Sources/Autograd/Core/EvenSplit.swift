/// `count` items cut into `parts` contiguous runs as even as possible, the first `count % parts`
/// runs one longer: how a global batch is shared out over ranks, how a checkpoint buffer is
/// sharded, how a compressed bucket is owned in chunks.
public enum EvenSplit {
    public static func range(count: Int, part: Int, parts: Int) -> Range<Int> {
        precondition(parts > 0 && part >= 0 && part < parts && count >= 0, "part \(part) of \(parts)")
        let base = count / parts, extra = count % parts
        let start = part * base + min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }
}
