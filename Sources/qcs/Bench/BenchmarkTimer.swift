import Foundation

/// Wall-clock timing of a repeated piece of work: one warm-up run (first-touch page faults,
/// OpenBLAS thread start-up) and then the median of `repeats` runs.
struct BenchmarkTimer {
    var repeats: Int

    func median(_ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }
}

/// Peak resident set size of this process so far, in MiB.
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024   // Linux reports KiB
}
