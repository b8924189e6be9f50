import Foundation

/// A named background thread that can be waited for. Foundation's `Thread` has no join, so the
/// body signals a semaphore as its last act; the loaders' deinit waits on it and therefore never
/// returns while a worker can still touch the batch buffers.
final class LoaderThread: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, body: @escaping () -> Void) {
        let finished = self.finished
        let thread = Thread {
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Blocks until the body has returned.
    func join() {
        finished.wait()
    }
}
