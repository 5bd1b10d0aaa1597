// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// Locks in this package are `NIOLockedValueBox` (a pthread mutex), not `Synchronization.Mutex`:
/// ThreadSanitizer sees a pthread mutex, while a contended `Mutex` waits in the kernel where
/// TSan cannot see it, so its critical sections read as races (scripts/sanitize/mutex-repro.swift).
let concurrencyHelpers: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")

let package = Package(
    name: "swift-call-pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CallAudio", targets: ["CallAudio"]),
        .library(name: "VoiceActivity", targets: ["VoiceActivity"]),
        .library(name: "TwilioMediaStreams", targets: ["TwilioMediaStreams"]),
        .library(name: "SpeechServices", targets: ["SpeechServices"]),
        .library(name: "OpenAIServices", targets: ["OpenAIServices"]),
        .library(name: "CallEngine", targets: ["CallEngine"]),
        .library(name: "TwilioCallAdapter", targets: ["TwilioCallAdapter"]),
        .library(name: "CallResults", targets: ["CallResults"]),
        .library(name: "CallTesting", targets: ["CallTesting"]),
        .library(name: "CallCapacity", targets: ["CallCapacity"]),
        .library(name: "TwilioREST", targets: ["TwilioREST"]),
        .executable(name: "capacity-load", targets: ["CapacityLoad"]),
        .library(name: "CallDialler", targets: ["CallDialler"]),
        .executable(name: "call-dialler", targets: ["call-dialler"]),
        .executable(name: "dialler-load", targets: ["DiallerLoad"]),
        .executable(name: "call-worker", targets: ["call-worker"]),
        .executable(name: "call-demo", targets: ["CallDemo"]),
        .executable(name: "call-load", targets: ["CallLoad"]),
        .executable(name: "call-simulator", targets: ["CallSimulator"]),
        .executable(name: "provider-fake", targets: ["ProviderFake"]),
        .executable(name: "twilio-fake", targets: ["TwilioFakeServer"]),
        .executable(name: "dialler-campaign", targets: ["DiallerCampaign"]),
        .executable(name: "audio-convert", targets: ["AudioConvert"]),
        .executable(name: "vad-eval", targets: ["VADEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSoxr",
            pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]
        ),
        .target(
            name: "CallAudio",
            dependencies: ["CSoxr"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "VoiceActivity",
            dependencies: ["CallAudio"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TwilioMediaStreams",
            dependencies: [
                concurrencyHelpers,
                "CallAudio",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "SpeechServices",
            dependencies: [
                concurrencyHelpers,
                "CallAudio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "OpenAIServices",
            dependencies: [
                "SpeechServices", "CallAudio",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CallEngine",
            dependencies: [
                concurrencyHelpers,
                "CallAudio", "VoiceActivity", "SpeechServices",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TwilioCallAdapter",
            dependencies: [
                concurrencyHelpers,
                "CallAudio", "CallEngine", "TwilioMediaStreams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TwilioREST",
            dependencies: [
                "TwilioMediaStreams", "SpeechServices",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CallResults",
            dependencies: [
                concurrencyHelpers,
                "CallEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CallTesting",
            dependencies: [
                concurrencyHelpers,
                "CallAudio", "SpeechServices", "OpenAIServices", "TwilioMediaStreams", "TwilioREST",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "CallCapacity",
            dependencies: [
                concurrencyHelpers,
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "CapacityLoad",
            dependencies: [
                "CallCapacity",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/CapacityLoad",
            swiftSettings: strictSwift
        ),
        .target(
            name: "CallDialler",
            dependencies: [
                "CallCapacity", "CallResults", "CallEngine", "TwilioMediaStreams", "TwilioREST",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "call-dialler",
            dependencies: [
                "CallDialler", "CallCapacity", "TwilioREST", "TwilioMediaStreams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "DiallerLoad",
            dependencies: [
                concurrencyHelpers,
                "CallDialler", "CallCapacity", "CallEngine", "CallTesting", "TwilioREST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/DiallerLoad",
            swiftSettings: strictSwift
        ),
        .target(
            name: "CallWorker",
            dependencies: [
                concurrencyHelpers,
                "CallAudio", "CallEngine", "CallResults", "SpeechServices", "OpenAIServices", "TwilioMediaStreams", "TwilioCallAdapter", "CallCapacity", "TwilioREST",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "call-worker",
            dependencies: [
                "CallWorker", "CallCapacity", "CallResults",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "CallDemo",
            dependencies: [
                concurrencyHelpers,
                "CallWorker", "CallTesting", "CallEngine", "CallAudio", "SpeechServices", "OpenAIServices", "TwilioMediaStreams",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/CallDemo",
            swiftSettings: strictSwift
        ),
        .target(
            name: "ExampleSupport",
            dependencies: [concurrencyHelpers],
            path: "Examples/Support",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "CallLoad",
            dependencies: [
                concurrencyHelpers,
                "ExampleSupport",
                "CallTesting", "TwilioMediaStreams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/CallLoad",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "CallSimulator",
            dependencies: [
                concurrencyHelpers,
                "CallAudio", "CallTesting", "TwilioMediaStreams",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/CallSimulator",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "ProviderFake",
            dependencies: [
                "CallTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/ProviderFake",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "TwilioFakeServer",
            dependencies: [
                concurrencyHelpers,
                "ExampleSupport",
                "CallTesting", "TwilioREST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/TwilioFakeServer",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "DiallerCampaign",
            dependencies: [
                concurrencyHelpers,
                "ExampleSupport",
                "CallCapacity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Examples/DiallerCampaign",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "AudioConvert",
            dependencies: ["CallAudio"],
            path: "Examples/AudioConvert",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "VADEval",
            dependencies: ["VoiceActivity", "CallAudio"],
            path: "Examples/VADEval",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallAudioTests",
            dependencies: ["CallAudio", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VoiceActivityTests",
            dependencies: ["VoiceActivity", "CallAudio"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SpeechServicesTests",
            dependencies: [concurrencyHelpers, "SpeechServices", "CallTesting"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "OpenAIServicesTests",
            dependencies: [
                concurrencyHelpers,
                "OpenAIServices", "CallTesting", "SpeechServices", "CallAudio",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallEngineTests",
            dependencies: [
                concurrencyHelpers,
                "CallEngine", "CallTesting", "CallAudio", "VoiceActivity", "SpeechServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallResultsTests",
            dependencies: [
                concurrencyHelpers,
                "CallResults", "CallEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallCapacityTests",
            dependencies: [
                "CallCapacity",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallDiallerTests",
            dependencies: [
                concurrencyHelpers,
                "CallDialler", "CallCapacity", "CallResults", "CallEngine", "TwilioMediaStreams", "TwilioREST", "CallTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallWorkerTests",
            dependencies: [
                concurrencyHelpers,
                "CallWorker", "CallEngine", "CallResults", "CallTesting", "TwilioMediaStreams", "TwilioCallAdapter", "SpeechServices", "CallAudio", "CallCapacity", "TwilioREST",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TwilioCallAdapterTests",
            dependencies: [
                concurrencyHelpers,
                "TwilioCallAdapter", "CallEngine", "CallTesting", "CallAudio", "TwilioMediaStreams", "SpeechServices",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TwilioRESTTests",
            dependencies: [
                concurrencyHelpers,
                "TwilioREST", "CallTesting", "TwilioMediaStreams",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TwilioMediaStreamsTests",
            dependencies: [
                concurrencyHelpers,
                "TwilioMediaStreams", "CallTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
