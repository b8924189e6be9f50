import Dispatch

/// Runs async work to its end from a synchronous command (`qcs launch`'s supervisor): the
/// commands are synchronous, and the one that needs async (watching mpirun through
/// swift-subprocess) blocks its thread on a semaphore while the work runs on the task pool.
enum AsyncBridge {
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                box.result = .success(try await body())
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
