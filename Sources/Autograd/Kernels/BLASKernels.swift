import CBLAS
import Foundation

/// Which kernels OpenBLAS chose for this CPU, and whether that choice throws speed away.
///
/// OpenBLAS picks its kernels when the library loads, from the CPU model it recognises. A CPU
/// newer than the library (Debian 12's 0.3.21 on recent Intel Xeons, for one) falls back to
/// "Prescott", SSE3 code that runs GEMMs several times slower than the AVX2 or AVX-512 kernels
/// the CPU could use. The choice can only be made before the process starts, through
/// `OPENBLAS_CORETYPE`, so qcs can only say so.
public enum BLASKernels {
    /// OpenBLAS's name for the kernels in use ("Haswell", "SkylakeX", "Prescott", …).
    public static var name: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Kernel sets without AVX2.
    static let legacy: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai",
                                      "Coppermine", "Northwood", "Banias", "Athlon", "Opteron", "Opteron_SSE3",
                                      "Barcelona", "Bobcat"]

    /// A sentence for the operator when the kernels in use ignore this CPU's AVX2/AVX-512 units.
    public static var warning: String? {
        warning(kernels: name, cpuFlags: cpuFlags())
    }

    static func warning(kernels: String, cpuFlags: Set<String>) -> String? {
        guard legacy.contains(kernels), cpuFlags.contains("avx2") else { return nil }
        let suggestion = cpuFlags.contains("avx512f") ? "SkylakeX (AVX-512) or Haswell (AVX2)" : "Haswell (AVX2)"
        return "OpenBLAS does not recognise this CPU and runs its \(kernels) kernels (no AVX2): GEMMs run several "
            + "times slower than they could. Set OPENBLAS_CORETYPE=\(suggestion) in the environment of every rank."
    }

    /// The `flags` line of /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
