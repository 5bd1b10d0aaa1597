// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-call-pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CallAudio", targets: ["CallAudio"]),
        .library(name: "VoiceActivity", targets: ["VoiceActivity"]),
        .library(name: "TwilioMediaStreams", targets: ["TwilioMediaStreams"]),
        .executable(name: "audio-convert", targets: ["AudioConvert"]),
        .executable(name: "vad-eval", targets: ["VADEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
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
                "CallAudio",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
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
            name: "TwilioMediaStreamsTests",
            dependencies: [
                "TwilioMediaStreams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
