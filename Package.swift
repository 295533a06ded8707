// swift-tools-version: 6.1
import PackageDescription

/// Links the Swift runtime and Foundation statically. The libraries refer to
/// each other in cycles, so they go to the linker as one group.
let staticRuntimeFlags = ["-static-stdlib", "-Xlinker", "--start-group"]
    + ["Foundation", "CoreFoundation", "FoundationInternationalization", "FoundationEssentials", "_FoundationICU",
       "_FoundationCollections", "_FoundationCShims", "swiftCore", "dispatch", "BlocksRuntime", "stdc++", "m"].flatMap { ["-Xlinker", "-l\($0)"] }
    + ["-Xlinker", "--end-group"]

let package = Package(
    name: "orch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "orch", targets: ["orch"]),
        .executable(name: "orch-hook", targets: ["orch-hook"]),
        .library(name: "GitKit", targets: ["GitKit"]),
        .library(name: "OrchCore", targets: ["OrchCore"]),
        .library(name: "OrchRuntime", targets: ["OrchRuntime"]),
        .library(name: "OrchFlow", targets: ["OrchFlow"]),
        .library(name: "OrchServer", targets: ["OrchServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .target(name: "GitKit", dependencies: ["CLibGit2"]),
        // The hook channel's shared facts; imports nothing, so the forwarder that links it starts fast.
        .target(name: "OrchWire"),
        .target(name: "OrchCore", dependencies: ["GitKit", "OrchWire", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "OrchFlow",
            dependencies: [
                "OrchCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "OrchRuntime",
            dependencies: [
                "OrchCore",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .target(
            name: "OrchServer",
            dependencies: [
                "OrchCore",
                "OrchWire",
                "OrchRuntime",
                "OrchFlow",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "orch",
            dependencies: [
                "OrchCore",
                "OrchWire",
                "OrchRuntime",
                "OrchServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The same binary runs inside the containers (hooks, `orch assign` …),
            // whose images have glibc and libgit2 but no Swift runtime. GNU ld's
            // groups are Linux-only: on macOS the binary serves the host only
            // (the image's orch is a Linux build, see the README).
            linkerSettings: [.unsafeFlags(staticRuntimeFlags, .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "orch-hook",
            dependencies: ["OrchWire"],
            // What Claude Code runs for every hook event inside the containers: no Foundation, the Swift runtime linked in.
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "orch-bench",
            dependencies: ["GitKit", "OrchCore", "OrchFlow", "OrchRuntime", "OrchServer", "ScriptedModel", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/OrchBench"
        ),
        .executableTarget(
            name: "scripted-model",
            dependencies: ["ScriptedModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/ScriptedModelServer"
        ),
        .target(
            name: "ScriptedModel",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "ScriptedModelTests", dependencies: ["ScriptedModel", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["OrchCore", "OrchRuntime", "ScriptedModel", "TestSupport", "GitKit"]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(name: "OrchCoreTests", dependencies: ["OrchCore", "TestSupport"]),
        .testTarget(name: "OrchRuntimeTests", dependencies: ["OrchRuntime", "TestSupport"]),
        .testTarget(name: "OrchServerTests", dependencies: ["OrchServer", "OrchFlow", "OrchCore", "OrchRuntime", "GitKit", "TestSupport"]),
        .testTarget(name: "OrchCLITests", dependencies: ["OrchCore", "TestSupport"]),
        .testTarget(name: "OrchWireTests", dependencies: ["OrchWire"]),
    ],
    swiftLanguageModes: [.v6]
)
