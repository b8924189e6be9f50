import Autograd
import Foundation

/// `BatchReduction` over a communicator's ranks: the exact global-batch mode
/// (`distributed.sync_batch_statistics`). Its calls happen inside forward and backward, which
/// cannot throw, so a failed collective ends the job (`Communicator.abort`) after saying why:
/// the ranks are out of step by then and no later collective could be trusted.
public final class CommunicatorBatchReduction: BatchReduction {
    private let communicator: Communicator
    /// False while this rank runs a stand-in batch (its slice is empty).
    public var contributes = true
    /// Collectives made so far (for the cost figures in the benchmarks).
    public private(set) var calls = 0

    public init(communicator: Communicator) { self.communicator = communicator }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) { reduce(values, .sum) }
    public func maximum(_ values: UnsafeMutableBufferPointer<Float>) { reduce(values, .max) }
    public func minimum(_ values: UnsafeMutableBufferPointer<Float>) { reduce(values, .min) }

    private func reduce<T: CommunicationElement>(_ values: UnsafeMutableBufferPointer<T>, _ op: ReduceOperation) {
        calls += 1
        do {
            try communicator.allreduce(values, op)
        } catch {
            FileHandle.standardError.write(Data(
                "rank \(communicator.rank): synchronised batch statistics failed: \(error); ending the job\n".utf8))
            communicator.abort(code: 1)
        }
    }
}
