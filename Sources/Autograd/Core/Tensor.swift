/// A float32 array with a shape, stored contiguously in row-major order. A tensor may be a
/// view into a larger storage (a parameter inside the flat parameter buffer), so its data starts
/// at `offset`. Copying a `Tensor` copies the reference, not the data.
public struct Tensor {
    public let shape: [Int]
    public let storage: Storage
    public let offset: Int

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    /// Pointer to the first element. Mutating through it mutates every tensor sharing the storage.
    public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }

    public init(shape: [Int], storage: Storage, offset: Int = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(offset + shape.reduce(1, *) <= storage.count, "view \(shape)+\(offset) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
    }

    /// A new tensor of zeros owning its memory.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: Storage(zeros: shape.reduce(1, *)))
    }

    /// A new tensor holding `values` (count must match the shape).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A tensor of the given shape filled from `generate` (called once per element, in order).
    public init(shape: [Int], generate: () -> Float) {
        self.init(zeros: shape)
        for i in 0..<count { data[i] = generate() }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// For a [rows, columns] tensor (class scores), each row's largest column; the first on ties.
    public func rowArgmax() -> [Int] {
        precondition(shape.count == 2, "rowArgmax needs [rows, columns], got \(shape)")
        let c = shape[1]
        return (0..<shape[0]).map { i in
            let row = data + i * c
            var best = 0
            for j in 1..<max(c, 1) where row[j] > row[best] { best = j }
            return best
        }
    }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// The same elements seen with another shape of equal count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage, offset: offset)
    }

    /// Overwrites this tensor's elements with `source`'s (same element count; shapes may differ).
    /// Prefer it to `data.update(from: other.data, …)`: a pointer read from a temporary tensor
    /// does not keep that tensor's memory alive.
    public func assign(_ source: Tensor) {
        precondition(source.count == count, "assign: \(source.count) elements into \(count)")
        withExtendedLifetime(source) { data.update(from: source.data, count: count) }
    }

    /// A deep copy in memory of its own.
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    public subscript(_ index: Int) -> Float {
        get { data[index] }
        nonmutating set { data[index] = newValue }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = array.prefix(8).map { String(format: "%.5g", Double($0)) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}

/// Helpers for shapes written as `[Int]`.
public enum Shape {
    /// Row-major strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// Splits `shape` around `axis` into (outer, size at axis, inner) element counts.
    public static func around(_ shape: [Int], axis: Int) -> (outer: Int, axis: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Normalises a possibly negative axis.
    public static func axis(_ axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
        return a
    }

    /// NumPy broadcasting of two shapes, or nil when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }
}
