// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "vidpipe",
    platforms: [.macOS(.v15)],
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
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat libavcodec libavutil libswscale libswresample",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]
        ),
        // Locks, serial workers, bounded pools and the CPU budget every module shares; no dependencies.
        .target(name: "Workers"),
        .target(name: "MediaIO", dependencies: ["CFFmpeg", "Workers"]),
        // The vocabulary: the records stages produce and the store keeps (no dependencies).
        .target(name: "Records"),
        // Embedded engines: each a thin Swift module over a C API; the C stays inside it.
        .systemLibrary(name: "CTesseract", path: "Sources/Providers/CTesseract", pkgConfig: "tesseract",
                       providers: [.apt(["libtesseract-dev"])]),
        .target(name: "TesseractOCR", dependencies: ["CTesseract"], path: "Sources/Providers/TesseractOCR"),
        .systemLibrary(name: "CPocketSphinx", path: "Sources/Providers/CPocketSphinx", pkgConfig: "pocketsphinx",
                       providers: [.apt(["libpocketsphinx-dev"])]),
        .target(name: "PocketSphinxASR", dependencies: ["CPocketSphinx"], path: "Sources/Providers/PocketSphinxASR"),
        // sherpa-onnx's C API from PyPI (sherpa-onnx-core); scripts/setup.sh writes its pkg-config file.
        .systemLibrary(name: "CSherpaOnnx", path: "Sources/Providers/CSherpaOnnx", pkgConfig: "sherpa-onnx-c-api"),
        .target(name: "SherpaOnnx", dependencies: ["CSherpaOnnx"], path: "Sources/Providers/SherpaOnnx"),
        // What model stages speak (requests, results, the provider protocol), free of any HTTP library.
        .target(name: "ModelAPI"),
        // ModelProvider over the OpenAI-compatible HTTP API (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI).
        .target(
            name: "OpenAIProvider",
            dependencies: [
                "ModelAPI", "Workers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Providers/OpenAIProvider"
        ),
        .target(name: "Stages", dependencies: ["Records", "MediaIO", "TesseractOCR", "PocketSphinxASR", "SherpaOnnx", "ModelAPI", "Workers"]),
        .target(name: "Store", dependencies: ["Records", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Pipeline",
            dependencies: [
                "Stages", "Store", "MediaIO", "ModelAPI", "Workers",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `vidpipe serve`: the read-only web viewer (pages, JSON API, media with Range) on Hummingbird.
        .target(
            name: "Viewer",
            dependencies: [
                "Store", "Records", "Stages",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "vidpipe",
            dependencies: [
                "Pipeline", "Store", "Stages", "ModelAPI", "OpenAIProvider", "Workers", "Viewer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "vidpipe-bench",
            dependencies: ["MediaIO", "Stages", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // A scriptable OpenAI-shaped HTTP/1.1 server on 127.0.0.1 for provider and pipeline tests.
        .target(
            name: "OpenAITestServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/OpenAITestServer"
        ),
        .testTarget(name: "WorkersTests", dependencies: ["Workers"]),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "TestSupport"]),
        .testTarget(name: "StagesTests", dependencies: ["Stages", "MediaIO", "ModelAPI", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Records", "TestSupport"]),
        .testTarget(name: "TesseractOCRTests", dependencies: ["TesseractOCR", "TestSupport"]),
        .testTarget(name: "PocketSphinxASRTests", dependencies: ["PocketSphinxASR", "TestSupport"]),
        .testTarget(name: "SherpaOnnxTests", dependencies: ["SherpaOnnx", "TestSupport"]),
        .testTarget(
            name: "OpenAIProviderTests",
            dependencies: [
                "OpenAIProvider", "OpenAITestServer", "ModelAPI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Store", "Stages", "Workers", "TestSupport", "OpenAITestServer", "OpenAIProvider", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "ViewerTests",
            dependencies: [
                "Viewer", "Store", "Records", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
