import BFloat16Kernels

/// An activation kept for backward as bfloat16 bits, in half the memory of its float32 tensor.
///
/// In bfloat16 mode a conv or linear layer's input is read by its backward only through a
/// bfloat16 GEMM, which rounds it to bfloat16 anyway: keeping the rounded copy instead of the
/// float32 tensor loses nothing (bfloat16 → float32 → bfloat16 is exact), and the float32 tensor
/// returns to the pool once its other readers are done. The bits live in pooled float storage
/// (two per float), so they reuse the graph's memory like every other activation.
public struct BFloat16Tensor {
    public let shape: [Int]
    private let storage: Storage

    public var count: Int { shape.reduce(1, *) }

    /// `tensor` rounded to bfloat16 (to nearest, ties to even), in memory from `pool`.
    public init(rounding tensor: Tensor, pool: BufferPool, compute: ComputePool) {
        shape = tensor.shape
        let count = tensor.count
        storage = Storage(count: (count + 1) / 2, pool: pool)
        let bits = UnsafeMutableRawPointer(storage.pointer).assumingMemoryBound(to: UInt16.self)
        withExtendedLifetime(tensor) {
            let source = tensor.data
            compute.parallelFor(count, grain: BFloat16Tensor.grain) { range in
                qcs_bf16_pack(source + range.lowerBound, bits + range.lowerBound, range.count)
            }
        }
    }

    /// x − μ_c of NCHW images `tensor` (μ: `channelMeans`, one per channel), rounded to bfloat16.
    public init(centering tensor: Tensor, channelMeans: UnsafePointer<Float>, pool: BufferPool, compute: ComputePool) {
        precondition(tensor.rank == 4, "centering needs NCHW images, got \(tensor.shape)")
        shape = tensor.shape
        let (C, plane) = (shape[1], shape[2] * shape[3])
        storage = Storage(count: (tensor.count + 1) / 2, pool: pool)
        let bits = UnsafeMutableRawPointer(storage.pointer).assumingMemoryBound(to: UInt16.self)
        withExtendedLifetime(tensor) {
            let source = tensor.data
            compute.parallelFor(shape[0] * C, grain: max(1, BFloat16Tensor.grain / max(plane, 1))) { planes in
                for q in planes {
                    qcs_bf16_pack_shifted(source + q * plane, channelMeans[q % C], bits + q * plane, plane)
                }
            }
        }
    }

    /// Writes the values, widened to float32, to `out` (`count` floats).
    public func widen(into out: UnsafeMutablePointer<Float>, compute: ComputePool) {
        let bits = UnsafeRawPointer(storage.pointer).assumingMemoryBound(to: UInt16.self)
        withExtendedLifetime(storage) {
            compute.parallelFor(count, grain: BFloat16Tensor.grain) { range in
                qcs_bf16_widen(bits + range.lowerBound, out + range.lowerBound, range.count)
            }
        }
    }

    /// The values widened into a pooled float32 scratch buffer for the duration of `body`.
    public func withWidened<R>(_ graph: Graph, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try graph.withScratch(count) { wide in
            widen(into: wide, compute: graph.compute)
            return try body(wide)
        }
    }

    /// Elements per thread's share: conversion is memory-bound, so only large tensors split.
    private static let grain = 1 << 16
}
