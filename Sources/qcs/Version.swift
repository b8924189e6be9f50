import ArgumentParser
import Autograd
import CBLAS
import Foundation
import BuildInfo

extension QCSCommand {
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the versions of qcs and the native libraries it runs on.")

        func run() throws {
            print("qcs \(QCSVersion.description)")
            if let config = openblas_get_config() { print("OpenBLAS: \(String(cString: config))") }
            print("OpenBLAS kernels: \(BLASKernels.name)")
            if let warning = BLASKernels.warning { print("warning: \(warning)") }
            let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset: auto-detected)"
            print("OPENBLAS_CORETYPE: \(coreType)")
        }
    }
}
