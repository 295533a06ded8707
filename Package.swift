// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "orch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "orch", targets: ["orch"]),
        .library(name: "GitKit", targets: ["GitKit"]),
        .library(name: "OrchCore", targets: ["OrchCore"]),
        .library(name: "OrchRuntime", targets: ["OrchRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "GitKit", dependencies: ["CLibGit2"]),
        .target(name: "OrchCore", dependencies: ["GitKit"]),
        .target(
            name: "OrchRuntime",
            dependencies: [
                "OrchCore",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .executableTarget(
            name: "orch",
            dependencies: [
                "OrchCore",
                "OrchRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "orch-bench",
            dependencies: ["GitKit", "OrchCore", "ScriptedModel"],
            path: "Benchmarks/OrchBench"
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
        .testTarget(name: "EndToEndTests", dependencies: ["OrchCore", "OrchRuntime", "ScriptedModel", "TestSupport", "GitKit", "orch"]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(name: "OrchCoreTests", dependencies: ["OrchCore", "TestSupport"]),
        .testTarget(name: "OrchRuntimeTests", dependencies: ["OrchRuntime", "TestSupport"]),
        .testTarget(name: "OrchCLITests", dependencies: ["OrchCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
