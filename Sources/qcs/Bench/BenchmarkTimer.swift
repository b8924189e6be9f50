import Foundation

/// Wall-clock timing of a repeated piece of work: one warm-up run (first-touch page faults,
/// OpenBLAS thread start-up) and then the median of `repeats` runs.
struct BenchmarkTimer {
    var repeats: Int

    func median(_ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }
}

/// Peak resident set size of this process so far, in MiB: VmHWM from /proc/self/status.
/// (getrusage's ru_maxrss is not used: Linux carries it across fork and exec, so a child
/// started by a large parent would report the parent's peak.)
func peakResidentMiB() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
        return kib / 1024
    }
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}
