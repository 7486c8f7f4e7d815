// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "vidpipe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vidpipe", targets: ["vidpipe"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat libavcodec libavutil libswscale libswresample",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]
        ),
        .target(name: "MediaIO", dependencies: ["CFFmpeg"]),
        .target(name: "Stages", dependencies: ["MediaIO"]),
        .target(name: "Store", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Pipeline",
            dependencies: [
                "Stages", "Store", "MediaIO",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "vidpipe",
            dependencies: [
                "Pipeline", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "TestSupport"]),
        .testTarget(name: "StagesTests", dependencies: ["Stages", "MediaIO", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Store", "Stages", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
