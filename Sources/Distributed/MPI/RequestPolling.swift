import Foundation

/// How a rank waits for a nonblocking collective. MPI_Wait spins in Open MPI's progress loop
/// for as long as the other ranks are late, taking a core from the rank's own compute thread
/// (measured at 5–11 % of a core per rank on the demo, docs/BENCHMARKS.md). Polling with
/// MPI_Test keeps the fast case fast: the first `spinNanoseconds` poll without pause, which
/// covers the small allreduces and a peer that is only just behind; after that the thread
/// sleeps between polls, `firstSleepMicroseconds` doubling up to `longestSleepMicroseconds`.
/// The longest sleep bounds the delay a finished collective can go unnoticed, and since Open
/// MPI advances a collective's rounds only inside MPI calls, the delay of each round too: it
/// is kept below a millisecond so that a 25 MiB bucket, which takes milliseconds, is not slowed.
struct RequestPolling {
    var spinNanoseconds: UInt64 = 50_000
    var firstSleepMicroseconds: UInt32 = 10
    var longestSleepMicroseconds: UInt32 = 200

    /// Calls `isDone` until it answers true: spinning first, then sleeping between calls.
    func wait(until isDone: () throws -> Bool) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - start < spinNanoseconds {
            if try isDone() { return }
        }
        var sleep = firstSleepMicroseconds
        while try !isDone() {
            usleep(sleep)
            sleep = min(sleep * 2, longestSleepMicroseconds)
        }
    }
}
