// swift-tools-version:6.2
import PackageDescription

import Foundation

// Numerics targets build in the Swift 5 language mode: their kernels pass raw buffers into
// parallel loops, which Swift 6's strict sendability checking cannot see are disjoint.
//
// On x86-64 they are compiled for Haswell's instruction set (AVX2, FMA; every x86 server CPU since
// 2013 and every AMD Zen): the baseline x86-64 target is SSE2, on which the elementwise kernels run
// 4 lanes wide with spills. Floating-point results do not change (Swift never contracts a·b + c
// into an FMA on its own). QCS_TARGET_CPU=generic builds for the SSE2 baseline instead; any other
// value names the CPU (`swiftc -target-cpu help` lists them).
let targetCPU: [SwiftSetting] = {
    #if arch(x86_64)
    let cpu = ProcessInfo.processInfo.environment["QCS_TARGET_CPU"] ?? "haswell"
    return cpu == "generic" ? [] : [.unsafeFlags(["-target-cpu", cpu])]
    #else
    return []
    #endif
}()
let numerics: [SwiftSetting] = [.swiftLanguageMode(.v5)] + targetCPU

let package = Package(
    name: "qcs",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "qcs", targets: ["qcs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // MARK: - System-library shims (module map + one header each)
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),

        // MARK: - Engine
        // bfloat16 GEMM kernels (C: the AVX512_BF16 tile needs intrinsics); SIMDe (libsimde-dev,
        // headers only) supplies portable versions of them for the kernel's tests.
        .target(name: "BFloat16Kernels"),
        .target(name: "Autograd", dependencies: ["CBLAS", "BFloat16Kernels"], swiftSettings: numerics),
        .target(name: "NN", dependencies: ["Autograd"], swiftSettings: numerics),
        .target(name: "Optim", dependencies: ["Autograd"], swiftSettings: numerics),
        .target(name: "Config", dependencies: ["Yams"], swiftSettings: numerics),
        .target(name: "QCS", dependencies: ["NN", "Autograd", "Config"], swiftSettings: numerics),
        .target(name: "Imaging", dependencies: ["CPNG", "CJPEG"], swiftSettings: numerics),
        .target(name: "DataPipeline", dependencies: ["Autograd", "Config", "Imaging"], swiftSettings: numerics),
        .target(name: "Checkpoint", dependencies: ["QCS", "Config", "Safetensors", "Autograd", "Distributed", "CZstd", "CCrypto"],
                swiftSettings: numerics),
        .target(name: "Reports", dependencies: ["Imaging"], swiftSettings: numerics),
        .target(name: "Inference", dependencies: ["QCS", "Autograd", "Checkpoint", "DataPipeline", "Imaging", "Reports"],
                swiftSettings: numerics),
        .target(name: "Trainer", dependencies: ["QCS", "Config", "Inference", "Optim", "Autograd", "DataPipeline", "Imaging",
                                                "Checkpoint", "Distributed", "Reports", "BuildInfo"],
                swiftSettings: numerics),
        .target(name: "Safetensors", dependencies: ["Autograd"], swiftSettings: numerics),
        .target(name: "Distributed", dependencies: ["CMPI", "CZstd", "Autograd", "Optim"], swiftSettings: numerics),
        // `qcs launch`: the supervisor that keeps a run going across rank and host failures.
        .target(name: "Launch", dependencies: ["Trainer", "Checkpoint", "Distributed", .product(name: "Subprocess", package: "swift-subprocess")],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        // The release and the commit the binary was built from (stamped by the BuildStamp plugin).
        .target(name: "BuildInfo", plugins: ["BuildStamp"]),
        .plugin(name: "BuildStamp", capability: .buildTool()),

        // MARK: - Programs
        .executableTarget(
            name: "qcs",
            dependencies: [
                "Autograd", "QCS", "Optim", "Trainer", "Inference", "Distributed", "DataPipeline", "Imaging", "Checkpoint",
                "Reports", "Safetensors", "CBLAS", "BuildInfo", "Launch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: numerics,
            // Function names in stack traces: distributed.debug's mismatch report says where each call was made.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]),
        .executableTarget(name: "qcs-mpi-check", dependencies: ["Distributed"], path: "Sources/MPICheck",
                          swiftSettings: numerics),

        // MARK: - Tests
        // Scratch folders, the gradient checker, a synthetic run folder: what the test targets share.
        .target(name: "TestSupport", dependencies: ["Autograd", "DataPipeline"], swiftSettings: numerics),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "Safetensors", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: numerics),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autograd", "Safetensors", "TestSupport"], swiftSettings: numerics),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CJPEG", "CPNG", "TestSupport"], swiftSettings: numerics),
        .testTarget(name: "SafetensorsTests", dependencies: ["Safetensors", "Autograd"], swiftSettings: numerics),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "Autograd"], swiftSettings: numerics),
        .testTarget(name: "QCSTests", dependencies: ["QCS", "Config", "NN", "Autograd", "Safetensors", "Optim", "Trainer"],
                    resources: [.copy("Fixtures")], swiftSettings: numerics),
        .testTarget(name: "DataPipelineTests", dependencies: ["DataPipeline", "Imaging", "Autograd", "Config", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: numerics),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "QCS", "Safetensors", "Autograd", "Distributed", "TestSupport"],
                    swiftSettings: numerics),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Inference", "Config", "Reports", "QCS", "Optim", "Autograd",
                                                         "DataPipeline", "Imaging", "Checkpoint", "Safetensors", "Distributed",
                                                         "TestSupport"],
                    swiftSettings: numerics),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Imaging"], swiftSettings: numerics),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Autograd"], swiftSettings: numerics),
        .testTarget(name: "LaunchTests", dependencies: ["Launch", "TestSupport"], swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
