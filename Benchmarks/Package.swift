// swift-tools-version: 6.1
// Benchmarks live in their own package so library users never resolve benchmark
// dependencies. Run from this folder: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-call-pipeline", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "CallAudioBenchmarks",
            dependencies: [
                .product(name: "CallAudio", package: "swift-call-pipeline"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "CallAudioBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "VoiceActivityBenchmarks",
            dependencies: [
                .product(name: "VoiceActivity", package: "swift-call-pipeline"),
                .product(name: "CallAudio", package: "swift-call-pipeline"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "VoiceActivityBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SpeechServicesBenchmarks",
            dependencies: [
                .product(name: "SpeechServices", package: "swift-call-pipeline"),
                .product(name: "CallAudio", package: "swift-call-pipeline"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "SpeechServicesBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CallEngineBenchmarks",
            dependencies: [
                .product(name: "CallEngine", package: "swift-call-pipeline"),
                .product(name: "CallAudio", package: "swift-call-pipeline"),
                .product(name: "SpeechServices", package: "swift-call-pipeline"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "CallEngineBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TwilioMediaStreamsBenchmarks",
            dependencies: [
                .product(name: "TwilioMediaStreams", package: "swift-call-pipeline"),
                .product(name: "CallTesting", package: "swift-call-pipeline"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "TwilioMediaStreamsBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
